import ShoalCA
import Synchronization

/// The nodes' roles as the store last told the leader, for answering heartbeats. A session reads its node's
/// messages one after another, so a heartbeat that waited for a store read (seconds, behind a heavy write load)
/// would hold the node's next heartbeat back until the node is judged Down though it is alive. A heartbeat is
/// answered from the role read at most `freshFor` ago; an older one is still the answer, and the store is read
/// again beside it (one read per node at a time), so a role change or a removal reaches the node one heartbeat
/// later at most.
final class NodeRoleCache: Sendable {
    enum Entry: Sendable, Equatable {
        case role(NodeRole)
        case removed
    }

    private struct Known {
        var entry: Entry
        var read: ContinuousClock.Instant
        var reading = false
    }

    /// By node: what is known, and when the leader last changed the node (a read begun before says too little).
    private let known = Mutex<(entries: [String: Known], changed: [String: ContinuousClock.Instant])>(([:], [:]))

    /// The answer for `nodeID` now, and whether the caller is to read the store again for it (nobody else is);
    /// nil when nothing is known: read the store first.
    func lookup(_ nodeID: String, now: ContinuousClock.Instant, freshFor: Duration) -> (entry: Entry, refresh: Bool)? {
        known.withLock { known in
            guard var entry = known.entries[nodeID] else { return nil }
            let refresh = !entry.reading && now - entry.read >= freshFor
            if refresh {
                entry.reading = true
                known.entries[nodeID] = entry
            }
            return (entry.entry, refresh)
        }
    }

    /// What a store read begun at `read` found (unless the leader changed the node since it began).
    func record(_ nodeID: String, _ entry: Entry, read: ContinuousClock.Instant) {
        known.withLock { known in
            if let changed = known.changed[nodeID], read < changed { return }
            known.entries[nodeID] = Known(entry: entry, read: read)
        }
    }

    /// A read that failed: the next heartbeat tries again.
    func readFailed(_ nodeID: String) {
        known.withLock { $0.entries[nodeID]?.reading = false }
    }

    /// The node was just changed through this manager: the next heartbeat reads it.
    func forget(_ nodeID: String, at now: ContinuousClock.Instant = .now) {
        known.withLock { known in
            known.entries[nodeID] = nil
            known.changed[nodeID] = now
        }
    }
}
