import Foundation
import ShoalAllocator
import ShoalClusterProto
import ShoalModel

/// The leader's view of every endpoint on swarm-scoped networks, and what each node session is told of it: a full
/// set when the session starts, then every change as it is committed. A node hears of the endpoints of the
/// other nodes only, and never of those on a node that is Down (they are withdrawn when it goes Down or is
/// removed, and come back with it), so nothing stale stays resolvable or reachable while a host is away.
///
/// Only the leader writes attachments (through its allocator), so the feed is changed right after each commit;
/// a new leader starts it from the store.
actor EndpointFeed {
    typealias Update = Shoal_Cluster_V1_EndpointUpdate

    private var attachments: [String: SwarmAttachment]
    private var downNodes: Set<String>
    /// Services' virtual IPs, as endpoints of no node (every session hears of them), by ID.
    private var virtualIPs: [String: SwarmAttachment] = [:]
    /// The tasks that serve: running (which, with a health check, means healthy) and wanted running. Only their
    /// endpoints answer to their service's names (`tasks.NAME`, NAME with dnsrr), so a task joins the balancers
    /// and DNS once it can answer, and leaves them (its endpoint still reachable) before its node stops it.
    private var serving: Set<String>
    /// The tasks the last round had wanted up but not running yet in the store.
    private var pending: Set<String>
    /// Pending tasks whose node reported them running: they serve from that report on, a round-trip through the
    /// store and the next round sooner, until a round has them running (they then simply serve) or no longer
    /// pending (failed, or wanted down: they lose the names again before their node hears it must stop them).
    private var reportedServing: Set<String> = []
    /// The attachments of each task, by ID.
    private var attachmentsOfTask: [String: Set<String>] = [:]
    private var sessions: [UUID: (nodeID: String, continuation: AsyncStream<Update>.Continuation)] = [:]

    init(attachments: [SwarmAttachment], downNodes: Set<String>, serving: Set<String> = [],
         pending: Set<String> = []) {
        self.attachments = Dictionary(attachments.map { ($0.id, $0) }, uniquingKeysWith: { _, new in new })
        self.downNodes = downNodes
        self.serving = serving
        self.pending = pending
        for attachment in self.attachments.values where !attachment.taskID.isEmpty {
            attachmentsOfTask[attachment.taskID, default: []].insert(attachment.id)
        }
    }

    /// The tasks of `tasks` that serve (see `serving`), and those wanted up that do not run yet (see `pending`).
    static func servingAndPending(_ tasks: [SwarmTask]) -> (serving: Set<String>, pending: Set<String>) {
        var serving = Set<String>(), pending = Set<String>()
        for task in tasks {
            if isServing(task) {
                serving.insert(task.id)
            } else if task.desiredState <= .running && task.status.state < .running {
                pending.insert(task.id)
            }
        }
        return (serving, pending)
    }

    /// Whether `task` serves (see `serving`).
    static func isServing(_ task: SwarmTask) -> Bool {
        task.status.state == .running && task.desiredState <= .running
    }

    /// The stream of a session of `nodeID`: the full set first. It ends when the session does (`cancel`) or the
    /// leadership does (`finish`).
    func subscribe(nodeID: String) -> (id: UUID, updates: AsyncStream<Update>) {
        let (stream, continuation) = AsyncStream<Update>.makeStream(bufferingPolicy: .unbounded)
        let id = UUID()
        var full = Update()
        full.full = true
        full.upserted = (attachments.values.filter { visible($0, to: nodeID) }.map(told) + virtualIPs.values)
            .sorted { $0.id < $1.id }
        continuation.yield(full)
        sessions[id] = (nodeID, continuation)
        return (id, stream)
    }

    func cancel(_ id: UUID) {
        sessions.removeValue(forKey: id)?.continuation.finish()
    }

    func finish() {
        for session in sessions.values { session.continuation.finish() }
        sessions = [:]
    }

    /// Every endpoint now, and which nodes have them (for `Peers` in `network inspect`).
    func all() -> [SwarmAttachment] { Array(attachments.values) }

    func added(_ attachment: SwarmAttachment) {
        attachments[attachment.id] = attachment
        if !attachment.taskID.isEmpty { attachmentsOfTask[attachment.taskID, default: []].insert(attachment.id) }
        guard !downNodes.contains(attachment.nodeID) else { return }
        broadcast(upserted: [told(attachment)], removed: [])
    }

    func removed(_ attachment: SwarmAttachment) {
        guard let gone = attachments.removeValue(forKey: attachment.id) else { return }
        if !gone.taskID.isEmpty {
            attachmentsOfTask[gone.taskID]?.remove(gone.id)
            if attachmentsOfTask[gone.taskID]?.isEmpty == true { attachmentsOfTask[gone.taskID] = nil }
        }
        guard !downNodes.contains(attachment.nodeID) else { return }
        broadcast(upserted: [], removed: [attachment])
    }

    /// The services' VIPs as the task pipeline's last round left them: each session hears what changed.
    func setVirtualIPs(_ vips: [SwarmAttachment]) {
        let next = Dictionary(vips.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        let upserted = next.values.filter { virtualIPs[$0.id] != $0 }.sorted { $0.id < $1.id }
        let removed = virtualIPs.values.filter { next[$0.id] == nil }.sorted { $0.id < $1.id }
        virtualIPs = next
        broadcast(upserted: upserted, removed: removed)
    }

    /// The tasks that serve now and those pending (the pipeline's round, from the store): the endpoints of those
    /// that started or stopped serving gain or lose their service's names everywhere; a task wanted down loses
    /// them before the node running it hears that it must stop it.
    func setServing(_ taskIDs: Set<String>, pending: Set<String> = []) {
        let before = serving.union(reportedServing)
        serving = taskIDs
        self.pending = pending
        reportedServing.formIntersection(pending)
        tellServing(changed: serving.union(reportedServing).symmetricDifference(before))
    }

    /// Task states as their nodes report them, before the store has them: a pending task reported running serves
    /// at once; one reported early that moved on (failed, stopped) no longer does.
    func reported(_ states: [(taskID: String, running: Bool)]) {
        var changed = Set<String>()
        for (taskID, running) in states {
            if running {
                if pending.contains(taskID), !serving.contains(taskID), reportedServing.insert(taskID).inserted {
                    changed.insert(taskID)
                }
            } else if reportedServing.remove(taskID) != nil {
                changed.insert(taskID)
            }
        }
        tellServing(changed: changed)
    }

    private func tellServing(changed: Set<String>) {
        guard !changed.isEmpty else { return }
        let affected = changed.flatMap { attachmentsOfTask[$0] ?? [] }.compactMap { attachments[$0] }
            .filter { !downNodes.contains($0.nodeID) }
        broadcast(upserted: affected.sorted { $0.id < $1.id }.map(told), removed: [])
    }

    /// An endpoint as the other nodes are told of it: a task's without its service's names unless it serves.
    private func told(_ attachment: SwarmAttachment) -> SwarmAttachment {
        guard !attachment.taskID.isEmpty, !serving.contains(attachment.taskID),
              !reportedServing.contains(attachment.taskID) else { return attachment }
        var stripped = attachment
        stripped.dnsNames = ServiceDNSNames.withoutServiceNames(attachment.dnsNames)
        return stripped
    }

    /// A node went Down (or left): its endpoints are withdrawn everywhere until it is Ready again.
    func nodeDown(_ nodeID: String) {
        guard downNodes.insert(nodeID).inserted else { return }
        broadcast(upserted: [], removed: attachments.values.filter { $0.nodeID == nodeID })
    }

    func nodeReady(_ nodeID: String) {
        guard downNodes.remove(nodeID) != nil else { return }
        broadcast(upserted: attachments.values.filter { $0.nodeID == nodeID }.map(told), removed: [])
    }

    private func visible(_ attachment: SwarmAttachment, to nodeID: String) -> Bool {
        attachment.nodeID != nodeID && !downNodes.contains(attachment.nodeID)
    }

    private func broadcast(upserted: [SwarmAttachment], removed: [SwarmAttachment]) {
        guard !upserted.isEmpty || !removed.isEmpty else { return }
        for session in sessions.values {
            var update = Update()
            update.upserted = upserted.filter { $0.nodeID != session.nodeID }
            update.removed = removed.filter { $0.nodeID != session.nodeID }.map(\.id)
            if !update.upserted.isEmpty || !update.removed.isEmpty { session.continuation.yield(update) }
        }
    }
}
