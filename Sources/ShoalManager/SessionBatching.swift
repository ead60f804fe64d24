/// How long the two ends of a node session gather changes before they send them, sized to the cluster: the
/// leader's assignment messages to a node, and the node's task states to the leader.
///
/// Each session may send one message per window, so however many nodes there are, the leader handles at most
/// about `1 s / perSession` messages a second each way (10,000). A three-node cluster gets no window at all and
/// every change goes at once: a one-replica service runs without waiting on any batch. A thousand nodes get
/// `limit`, the window that brought the half a million session messages of a 100,000-task create down by more
/// than half (session 15).
public enum SessionBatching {
    /// What each open session adds to the window.
    static let perSession: Duration = .microseconds(100)
    /// The window at most.
    static let limit: Duration = .milliseconds(100)
    /// Windows shorter than this are not worth a timer: the change goes at once.
    static let least: Duration = .milliseconds(1)

    /// The window for a leader that holds `sessions` node sessions.
    public static func window(sessions: Int) -> Duration {
        let window = min(limit, perSession * max(sessions, 0))
        return window < least ? .zero : window
    }
}
