/// Which nodes are alive, from their heartbeats (the pure core of the dispatcher's node health; SwarmKit's
/// `dispatcher` heartbeat manager). A node is Down once it has missed `missedPeriods` heartbeat periods. The
/// period counted is the one the node was told; right after a change, the longer of the old and new one until
/// the node's next heartbeat (it may still be waiting out the old period), so shortening `--dispatcher-heartbeat`
/// never marks a node Down that has not yet heard of the new period. No clock inside: callers pass the time, tests pass a fake one.
public struct HeartbeatTracker: Sendable {
    /// Docker's rule: three missed periods.
    public static let missedPeriods = 3

    public enum Transition: Sendable, Equatable {
        case ready(String)
        case down(String)
    }

    struct Entry: Sendable {
        var lastSeen: ContinuousClock.Instant
        /// The period the node was last told.
        var told: Duration
        /// The period counted until the next heartbeat.
        var period: Duration
        var down: Bool
    }

    private(set) var entries: [String: Entry] = [:]

    public init() {}

    /// A heartbeat from `node`, which was just told `period`. Returns `.ready` when the node was unknown or Down.
    public mutating func heartbeat(_ node: String, at now: ContinuousClock.Instant, period: Duration) -> Transition? {
        let previous = entries[node]
        let wasUp = previous.map { !$0.down } ?? false
        entries[node] = Entry(lastSeen: now, told: period, period: max(period, previous?.told ?? period), down: false)
        return wasUp ? nil : .ready(node)
    }

    /// Starts watching `node` as if it had just been seen, without a transition (a manager starting gives the
    /// nodes it remembers as Ready one full grace time to come back).
    public mutating func watch(_ node: String, at now: ContinuousClock.Instant, period: Duration) {
        guard entries[node] == nil else { return }
        entries[node] = Entry(lastSeen: now, told: period, period: period, down: false)
    }

    public mutating func forget(_ node: String) { entries[node] = nil }

    /// The nodes that have just gone Down at `now` (each is reported once until it heartbeats again).
    public mutating func expire(at now: ContinuousClock.Instant) -> [Transition] {
        var changes: [Transition] = []
        for (node, entry) in entries where !entry.down && now - entry.lastSeen > entry.period * Self.missedPeriods {
            entries[node]?.down = true
            changes.append(.down(node))
        }
        return changes.sorted { "\($0)" < "\($1)" }
    }

    public func isDown(_ node: String) -> Bool? { entries[node]?.down }
}
