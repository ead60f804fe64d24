import Foundation
import ShoalModel

/// Keeps the store's task history bounded (SwarmKit's task reaper). A task marked `remove` goes once it has
/// stopped or never reached a node, and so does every task of a service that is gone. Each slot (a global
/// service's: each node) keeps at most the cluster's `--task-history-limit` tasks, or `maxAttempts + 1` when the
/// restart policy limits attempts; the oldest of those that ended, or will never run, go first. A negative limit
/// keeps everything.
public enum TaskReaper {
    public static func reap(_ tasks: [SwarmTask], services: [String: SwarmService], historyLimit: Int,
                            nodes: [String: SwarmNode]) -> [OrchestratorAction]
    {
        var deleted = Set<String>()
        for task in tasks where task.desiredState == .remove || services[task.serviceID] == nil {
            if isDone(task) || task.nodeID.isEmpty || nodes[task.nodeID] == nil { deleted.insert(task.id) }
        }
        for (serviceID, serviceTasks) in Dictionary(grouping: tasks.filter { !deleted.contains($0.id) }, by: \.serviceID) {
            guard let service = services[serviceID] else { continue }
            let maxAttempts = service.spec.taskTemplate.restartPolicy.maxAttempts
            let limit = maxAttempts > 0 ? Int(maxAttempts) + 1 : historyLimit
            guard limit >= 0 else { continue }
            let global = service.spec.mode.isGlobal
            for (_, slot) in Dictionary(grouping: serviceTasks, by: { SlotKey($0, global: global) }) where slot.count > limit {
                var kept = slot.count
                for task in slot.sorted(by: { $0.lastChange < $1.lastChange }) where kept > limit {
                    guard isDone(task) || willNeverRun(task) else { continue }
                    deleted.insert(task.id)
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
