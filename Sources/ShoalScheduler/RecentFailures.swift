import Foundation

/// Failures of a service's tasks on one node, so a node where a service keeps failing is tried last for it
/// (SwarmKit: 5 failures or rejections within 5 minutes, counted per service and spec version, since a new
/// spec may well run where the old one failed). Times come from the tasks' own status timestamps and the
/// caller's `now`: this reads no clock.
struct RecentFailures: Sendable, Equatable {
    static let threshold = 5
    static let window: TimeInterval = 5 * 60

    struct Key: Hashable, Sendable {
        var serviceID: String
        var specVersion: UInt64
    }

    private var times: [Key: [Date]] = [:]

    mutating func record(_ key: Key, at time: Date) {
        // Forget what is out of the window as seen from the newest failure, so the record stays small.
        times = times.compactMapValues { dates in
            let kept = dates.filter { time.timeIntervalSince($0) < Self.window }
            return kept.isEmpty ? nil : kept
        }
        times[key, default: []].append(time)
    }

    func count(_ key: Key, now: Date) -> Int {
        times[key]?.filter { now.timeIntervalSince($0) < Self.window }.count ?? 0
    }

    /// What spreading weighs first: nothing below the threshold, the count itself at or above it (the node
    /// with more failures is the worse one).
    func penalty(_ key: Key, now: Date?) -> Int {
        guard let now, !times.isEmpty else { return 0 }
        let count = count(key, now: now)
        return count >= Self.threshold ? count : 0
    }
}
