import Synchronization

/// How many messages this process's dispatcher sessions have carried (every manager counts its own): heartbeats
/// and status batches received from the nodes, session messages (heartbeat answers, assignments, endpoint
/// updates, log subscriptions) sent to them. Two relaxed atomic adds per message; read by benchmarks.
public enum DispatcherCounters {
    private static let received = Atomic<Int>(0)
    private static let sent = Atomic<Int>(0)
    private static let queued = Atomic<Int>(0)
    private static let open = Atomic<Int>(0)

    /// Node sessions this process serves now (the leader's: a follower refuses them).
    public static var sessions: Int { open.load(ordering: .relaxed) }
    static func sessionOpened() { open.add(1, ordering: .relaxed) }
    static func sessionClosed() { open.subtract(1, ordering: .relaxed) }

    static func countReceived() { received.add(1, ordering: .relaxed) }
    static func countSent() { sent.add(1, ordering: .relaxed) }
    /// A message put in a session's outbox (it is counted sent once written to the node).
    static func countQueued() { queued.add(1, ordering: .relaxed) }

    /// Messages in the sessions' outboxes, not written to their nodes yet (a slow node's backlog).
    public static var backlog: Int { queued.load(ordering: .relaxed) - sent.load(ordering: .relaxed) }

    /// The totals so far.
    public static var snapshot: (received: Int, sent: Int) {
        (received.load(ordering: .relaxed), sent.load(ordering: .relaxed))
    }
}
