import Foundation
import Logging
import ShoalAgent
import ShoalClusterProto
import ShoalModel

/// This node's side of its tasks (every node, managers too): the assignments its session brings reach the
/// task supervisor, and the states the task runners reach go back to the leader in batches (`StatusOutbox`: each
/// task's latest state, gathered while the last batch was on its way). It remembers each task's last state for the
/// next session, which may be with a new leader that never stored the last reports.
actor NodeTasks {
    private var supervisor: TaskSupervisor?
    private var assigned: [String: AssignedTask] = [:]
    private var latest: [String: Shoal_Cluster_V1_TaskStatus] = [:]
    private var outbox: StatusOutbox<Shoal_Cluster_V1_TaskStatusReport>?

    /// Runs this node's tasks on `engine`; `send` takes each batch of states to the session.
    func start(engine: any TaskEngine, node: TaskNode, logger: Logger,
               send: @escaping @Sendable ([Shoal_Cluster_V1_TaskStatusReport]) async -> Void) {
        outbox = StatusOutbox(send: send)
        supervisor = TaskSupervisor(engine: engine, node: node, logger: logger) { [weak self] taskID, status in
            await self?.record(taskID, status)
        }
    }

    /// How long the states gather before they go, as the leader sizes it to the cluster (`SessionBatching`).
    func reportGather(_ gather: Duration) async {
        await outbox?.setGather(gather)
    }

    /// The runners stop stepping, the containers stay (daemon shutdown: they run on, and the next start carries
    /// on from what they are doing).
    func halt() async {
        await supervisor?.halt()
        supervisor = nil
    }

    /// The node leaves the swarm: every task's container (and files) goes.
    func removeAll() async {
        assigned = [:]
        latest = [:]
        await supervisor?.assign([])
    }

    func apply(_ update: Shoal_Cluster_V1_Assignments) async {
        if update.full { assigned = [:] }
        for entry in update.upserted {
            assigned[entry.task.id] = AssignedTask(task: SwarmTask(entry.task), serviceName: entry.serviceName,
                                                   networkNames: entry.networkNames,
                                                   files: entry.files.map(TaskFile.init),
                                                   registryAuth: entry.registryAuth.isEmpty ? nil : entry.registryAuth)
        }
        for taskID in update.removed { assigned[taskID] = nil }
        latest = latest.filter { assigned[$0.key] != nil }
        let kept = Set(assigned.keys)
        await outbox?.keep { kept.contains($0) }
        await supervisor?.assign(assigned.keys.sorted().compactMap { assigned[$0] })
    }

    /// The tasks assigned to this node now (finished ones too, while their containers stay).
    func assignedTasks() -> [SwarmTask] {
        assigned.keys.sorted().compactMap { assigned[$0]?.task }
    }

    /// Every task's last state, for a new session.
    func knownStatuses() -> [Shoal_Cluster_V1_TaskStatusReport] {
        latest.keys.sorted().compactMap { taskID in latest[taskID].map { Self.report(taskID, $0) } }
    }

    private func record(_ taskID: String, _ status: TaskStatus) async {
        guard assigned[taskID] != nil else { return }
        latest[taskID] = status.stored
        // Awaited, so a task's states reach the outbox in the order its runner reached them.
        await outbox?.record(taskID, Self.report(taskID, status.stored))
    }

    private static func report(_ taskID: String, _ status: Shoal_Cluster_V1_TaskStatus)
        -> Shoal_Cluster_V1_TaskStatusReport
    {
        var report = Shoal_Cluster_V1_TaskStatusReport()
        report.taskID = taskID
        report.status = status
        return report
    }
}
