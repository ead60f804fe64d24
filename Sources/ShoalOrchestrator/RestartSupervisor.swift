import Foundation
import ShoalModel

/// A task's restart policy at work (SwarmKit's restart supervisor). A task that is wanted up but ended, or whose
/// node is gone, Down or (for a replicated service) drained, is shut down; if its policy allows, a replacement
/// takes its slot (a global service's: its node). The replacement waits out the policy's delay in desired state
/// `ready` (no delay when the old node is drained, Down or gone: the task did not fail, it must move now; SwarmKit
/// exempts only drained nodes, so Docker's tasks wait out the delay after their node went Down), then `dueStarts`
/// sets it running.
public enum RestartSupervisor {
    /// The restarts `tasks` (one service's) need now.
    public static func restarts(of service: SwarmService, tasks: [SwarmTask], context: OrchestrationContext)
        -> [OrchestratorAction]
    {
        var actions: [OrchestratorAction] = []
        let global = service.spec.mode.isGlobal
        for task in tasks where task.isLive && needsRestart(task, service: service, context: context) {
            // A global task whose node left the swarm has nowhere to go back to.
            if global && context.nodes[task.nodeID] == nil {
                actions.append(.setDesiredState(taskID: task.id, .remove))
                continue
            }
            actions.append(.setDesiredState(taskID: task.id, .shutdown))
            guard shouldRestart(task, service: service) else { continue }
            let policy = task.spec.restartPolicy
            let node = context.nodes[task.nodeID]
            let moves = node == nil || node?.spec.availability == .drain || node?.status.state == .down
            let waits = policy.delay > 0 && !moves
            // A global task stays on its node; a replicated one goes back to the scheduler.
            let replacement = SwarmTask.new(
                of: service, slot: task.slot, nodeID: global ? task.nodeID : "",
                id: context.newTaskID(), now: context.now, desiredState: waits ? .ready : .running,
                restartHistory: history(after: task, service: service, now: context.now))
            actions.append(.create(replacement))
        }
        return actions
    }

    /// Replacements whose restart delay has passed (set them running), and when the next one is due.
    public static func dueStarts(_ tasks: [SwarmTask], now: Date) -> (actions: [OrchestratorAction], next: Date?) {
        var actions: [OrchestratorAction] = []
        var next: Date?
        for task in tasks where task.desiredState == .ready {
            let due = task.createdAt.addingTimeInterval(task.spec.restartPolicy.delay)
            if due <= now {
                actions.append(.setDesiredState(taskID: task.id, .running))
            } else {
                next = next.map { min($0, due) } ?? due
            }
        }
        return (actions, next)
    }

    /// Ended, or stranded: its node was removed or is Down, or (replicated) drained. A task not yet on a node, or
    /// waiting for its delay, is left alone.
    static func needsRestart(_ task: SwarmTask, service: SwarmService, context: OrchestrationContext) -> Bool {
        if task.status.state.isTerminal { return true }
        guard !task.nodeID.isEmpty, task.desiredState == .running else { return false }
        guard let node = context.nodes[task.nodeID] else { return true }
        if service.spec.mode.isGlobal { return false }
        return node.status.state == .down || node.spec.availability == .drain
    }

    /// The policy's verdict for a task that ended: `none` never, `on-failure` not after a clean exit, and no more
    /// than `maxAttempts` restarts of its slot under this spec (within `window` when one is set).
    static func shouldRestart(_ task: SwarmTask, service: SwarmService) -> Bool {
        let policy = task.spec.restartPolicy
        switch policy.condition {
        case .none: return false
        case .onFailure where task.status.state == .complete: return false
        default: break
        }
        guard policy.maxAttempts > 0 else { return true }
        return UInt64(countedRestarts(task, service: service, at: task.lastChange)) < policy.maxAttempts
    }

    /// The restarts that count against `maxAttempts` at `time`: those of the task's history under the service's
    /// current spec (a new spec starts afresh, as in SwarmKit), within the window if any.
    static func countedRestarts(_ task: SwarmTask, service: SwarmService, at time: Date) -> Int {
        guard task.spec == service.spec.taskTemplate else { return 0 }
        let window = task.spec.restartPolicy.window
        guard window > 0 else { return task.restartHistory.count }
        return task.restartHistory.filter { $0 >= time.addingTimeInterval(-window) }.count
    }

    /// The replacement's history: the old task's restarts that still count, and this one.
    static func history(after task: SwarmTask, service: SwarmService, now: Date) -> [Date] {
        let policy = service.spec.taskTemplate.restartPolicy
        guard policy.maxAttempts > 0 else { return [] }
        var kept = task.spec == service.spec.taskTemplate ? task.restartHistory : []
        if policy.window > 0 { kept.removeAll { $0 < now.addingTimeInterval(-policy.window) } }
        return Array((kept + [now]).suffix(Int(policy.maxAttempts)))
    }
}
