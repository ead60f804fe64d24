import Foundation
import ShoalModel
import ShoalScheduler

/// One change a reconciler wants in the store.
public enum OrchestratorAction: Sendable, Equatable {
    /// A new task: desired running, or ready while its start waits out a restart delay.
    case create(SwarmTask)
    /// A task's desired state changes: `shutdown` stops it, `remove` stops it for good (the reaper deletes it
    /// once stopped), `running` starts a replacement whose restart delay has passed.
    case setDesiredState(taskID: String, TaskState)
    /// The task leaves the store.
    case delete(taskID: String)
}

/// What every reconciler is given besides the service and its tasks.
public struct OrchestrationContext: Sendable {
    public var now: Date
    /// The cluster's nodes by ID.
    public var nodes: [String: SwarmNode]
    /// IDs for new tasks (random in the daemon, predictable in tests).
    public var newTaskID: @Sendable () -> String

    /// The scheduler's view of the nodes alone (no tasks), built once for every service that asks which nodes
    /// may run its tasks.
    public var nodeView: SchedulerState

    public init(now: Date, nodes: [SwarmNode], newTaskID: @escaping @Sendable () -> String) {
        self.now = now
        self.nodes = Dictionary(nodes.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.newTaskID = newTaskID
        nodeView = SchedulerState(nodes: nodes)
    }
}

extension [SwarmTask] {
    /// These tasks as they will be once `actions` are committed (the reconcilers chain their decisions on it).
    public func applying(_ actions: [OrchestratorAction]) -> [SwarmTask] {
        guard !actions.isEmpty else { return self }
        // Linear in tasks + actions (a service of thousands of tasks updated in batches of hundreds): the live
        // positions of each ID, in order, stand in for searching the array at each action.
        var tasks = self
        var positions: [String: [Int]] = [:]
        for (position, task) in tasks.enumerated() { positions[task.id, default: []].append(position) }
        var removed = Set<Int>()
        for action in actions {
            switch action {
            case .create(let task):
                positions[task.id, default: []].append(tasks.count)
                tasks.append(task)
            case .setDesiredState(let id, let state):
                if let first = positions[id]?.first { tasks[first].desiredState = state }
            case .delete(let id):
                removed.formUnion(positions.removeValue(forKey: id) ?? [])
            }
        }
        guard !removed.isEmpty else { return tasks }
        return tasks.indices.filter { !removed.contains($0) }.map { tasks[$0] }
    }
}
