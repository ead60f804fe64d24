import Foundation
import ShoalModel
import ShoalScheduler

/// A global service's tasks (SwarmKit's global orchestrator): one live task on each node that is active, not
/// Down and satisfies the constraints. A node that stops qualifying (drained, its labels changed) has its task
/// shut down; a paused or Down node keeps the task it has but gets no new one; a node that left the swarm loses
/// its task. The scheduler still confirms each new task against the rest of its filters.
public enum GlobalReconciler {
    public static func reconcile(_ service: SwarmService, tasks: [SwarmTask], context: OrchestrationContext)
        -> [OrchestratorAction]
    {
        guard service.spec.mode.isGlobal else { return [] }
        var actions = RestartSupervisor.restarts(of: service, tasks: tasks, context: context)
        let current = tasks.applying(actions)
        // Constraints were checked when the service was made; a malformed one qualifies no node.
        let eligible = Set((try? context.nodeView.nodesForGlobalService(service.spec.taskTemplate)) ?? [])
        var covered = Set<String>()
        for task in current where !task.nodeID.isEmpty {
            if task.isLive || keepsNode(task, service: service) { covered.insert(task.nodeID) }
            guard task.isLive, let node = context.nodes[task.nodeID], !eligible.contains(task.nodeID) else { continue }
            let keeps = node.spec.availability == .pause || node.status.state == .down
            if !keeps { actions.append(.setDesiredState(taskID: task.id, .shutdown)) }
        }
        for nodeID in eligible.subtracting(covered).sorted() {
            actions.append(.create(SwarmTask.new(of: service, slot: 0, nodeID: nodeID, id: context.newTaskID(),
                                                 now: context.now)))
        }
        return actions
    }

    /// A node whose task ended and whose restart policy says not to replace it keeps that task as its one (no new
    /// task comes), as a replicated slot does.
    static func keepsNode(_ task: SwarmTask, service: SwarmService) -> Bool {
        task.desiredState == .shutdown && task.status.state.isTerminal
            && !RestartSupervisor.shouldRestart(task, service: service)
    }
}
