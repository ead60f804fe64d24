import Foundation
import ShoalModel

/// Keeps the store's task history bounded (SwarmKit's task reaper). A task marked `remove` goes once it has
/// stopped or never reached a node, and so does every task of a service that is gone. Each slot (a global
/// service's: each node) keeps at most the cluster's `--task-history-limit` tasks, or `maxAttempts + 1` when the
/// restart policy limits attempts; the oldest of those that ended, or will never run, go first. A negative limit
/// keeps everything.
public enum TaskReaper {
    /// `only`: the services whose tasks to look at (nil: every task). The tasks are grouped by position, not as
    /// copies: after a loss of nodes a round reaps over 100,000 tasks, and grouping copies of them cost more than
    /// the reaping.
    public static func reap(_ tasks: [SwarmTask], only: Set<String>? = nil, services: [String: SwarmService],
                            historyLimit: Int, nodes: [String: SwarmNode]) -> [OrchestratorAction]
    {
        var deleted = Set<String>()
        var byService: [String: [Int]] = [:]
        for index in tasks.indices {
            let task = tasks[index]
            if let only, !only.contains(task.serviceID) { continue }
            if task.desiredState == .remove || services[task.serviceID] == nil,
               isDone(task) || task.nodeID.isEmpty || nodes[task.nodeID] == nil {
                deleted.insert(task.id)
                continue
            }
            byService[task.serviceID, default: []].append(index)
        }
        for (serviceID, indices) in byService {
            guard let service = services[serviceID] else { continue }
            let maxAttempts = service.spec.taskTemplate.restartPolicy.maxAttempts
            let limit = maxAttempts > 0 ? Int(maxAttempts) + 1 : historyLimit
            guard limit >= 0, indices.count > limit else { continue }
            let global = service.spec.mode.isGlobal
            var slots: [SlotKey: [Int]] = [:]
            for index in indices { slots[SlotKey(tasks[index], global: global), default: []].append(index) }
            for slot in slots.values where slot.count > limit {
                var kept = slot.count
                for index in slot.sorted(by: { tasks[$0].lastChange < tasks[$1].lastChange }) where kept > limit {
                    guard isDone(tasks[index]) || willNeverRun(tasks[index]) else { continue }
                    deleted.insert(tasks[index].id)
                    kept -= 1
                }
            }
        }
        return deleted.sorted().map { .delete(taskID: $0) }
    }

    /// It ran and stopped (or failed, or was rejected).
    static func isDone(_ task: SwarmTask) -> Bool { task.status.state.isTerminal }

    /// Not wanted any more and never given to a node.
    static func willNeverRun(_ task: SwarmTask) -> Bool {
        task.desiredState > .running && task.status.state < .assigned
    }
}
