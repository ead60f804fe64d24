/// A node's task states on their way to the leader. A state that comes alone goes at once; states that come while
/// the last batch is on its way, or within `gather` after it, go together in the next batch, and a task that moved
/// on meanwhile (accepted → preparing → starting → running in a few milliseconds) is reported once, at its latest
/// state: the leader keeps only a task's latest state, and a late report of an earlier one is dropped there anyway.
/// The leader sizes `gather` to the cluster (`setGather`): none on a small one, where each state goes at once.
///
/// Why: a node given a hundred tasks reported each state of each one in its own message, about five messages per
/// task. At 1,000 nodes creating 100,000 tasks the leader received half a million session messages in a minute and a
/// half, and decoding and handing them on was the largest share of its CPU on two cores.
public actor StatusOutbox<Report: Sendable> {
    private var unsent: [String: Report] = [:]
    /// First-come order of the unsent tasks (a batch keeps it).
    private var order: [String] = []
    private var flushing = false
    private var gather: Duration
    private let send: @Sendable ([Report]) async -> Void

    public init(gather: Duration = .milliseconds(100), send: @escaping @Sendable ([Report]) async -> Void) {
        self.gather = gather
        self.send = send
    }

    /// `report` is the latest state of task `taskID`: it replaces one not sent yet.
    public func record(_ taskID: String, _ report: Report) {
        if unsent.updateValue(report, forKey: taskID) == nil { order.append(taskID) }
        guard !flushing else { return }
        flushing = true
        Task { await self.flush() }
    }

    /// The gathering window from now on (zero: each batch goes as soon as the last one went).
    public func setGather(_ gather: Duration) {
        self.gather = gather
    }

    /// Forgets what is not sent yet for tasks that are not in `kept` (the node no longer has them).
    public func keep(only kept: (String) -> Bool) {
        order.removeAll { !kept($0) }
        unsent = unsent.filter { kept($0.key) }
    }

    private func flush() async {
        while !order.isEmpty {
            let batch = order.compactMap { unsent[$0] }
            (unsent, order) = ([:], [])
            await send(batch)
            if gather > .zero { try? await Task.sleep(for: gather) }
        }
        flushing = false
    }
}
