import Foundation
import ShoalModel

/// A replicated service's slots (SwarmKit's replicated orchestrator): restarts first, then as many counted slots
/// as `--replicas` says. A slot counts while it has a live task, or when its last task ended and its restart
/// policy says not to replace it (the service then shows fewer running replicas, as Docker's does, rather than
/// a new slot). Scaling up fills the lowest free slot numbers; scaling down removes, in order, the slots on the
/// nodes with the most copies of the service, those not running, then the highest slot numbers.
public enum ReplicatedReconciler {
    public static func reconcile(_ service: SwarmService, tasks: [SwarmTask], context: OrchestrationContext)
        -> [OrchestratorAction]
    {
        guard case .replicated(let replicas) = service.spec.mode else { return [] }
        var actions = RestartSupervisor.restarts(of: service, tasks: tasks, context: context)
        let current = tasks.applying(actions)
        let slots = countedSlots(current, service: service)
        let wanted = Int(replicas)
        if slots.count < wanted {
            var slot = 0
            for _ in 0..<(wanted - slots.count) {
                repeat { slot += 1 } while slots[slot] != nil
                actions.append(.create(SwarmTask.new(of: service, slot: slot, nodeID: "", id: context.newTaskID(),
                                                     now: context.now)))
            }
        } else if slots.count > wanted {
            for (_, tasks) in removalOrder(slots).dropFirst(wanted) {
                for task in tasks where task.desiredState != .remove {
                    actions.append(.setDesiredState(taskID: task.id, .remove))
                }
            }
        }
        return actions
    }

    /// The counted slots and, for each, the tasks that keep it counted (its live ones, or its last one).
    static func countedSlots(_ tasks: [SwarmTask], service: SwarmService) -> [Int: [SwarmTask]] {
        var counted: [Int: [SwarmTask]] = [:]
        for (slot, slotTasks) in Dictionary(grouping: tasks, by: \.slot) {
            let live = slotTasks.filter(\.isLive)
            if !live.isEmpty {
                counted[slot] = live
            } else if let last = slotTasks.max(by: { $0.lastChange < $1.lastChange }),
                      last.desiredState == .shutdown, last.status.state.isTerminal,
                      !RestartSupervisor.shouldRestart(last, service: service) {
                counted[slot] = [last]
            }
        }
        return counted
    }

    /// The slots in the order they are kept: the first `--replicas` stay. A slot is ranked by how many copies of
    /// the service its node holds before it (the first copy on a node ranks 1), running before not running, then
    /// by slot number; slots not on a node go last.
    static func removalOrder(_ slots: [Int: [SwarmTask]]) -> [(slot: Int, tasks: [SwarmTask])] {
        let running = slots.map { slot, tasks in
            (slot: slot, tasks: tasks, running: tasks.contains { $0.status.state == .running })
        }.sorted { lhs, rhs in
            lhs.running != rhs.running ? lhs.running : lhs.slot < rhs.slot
        }
        var copies: [String: Int] = [:]
        let indexed = running.map { entry -> (slot: Int, tasks: [SwarmTask], index: Int) in
            guard entry.tasks.count == 1, !entry.tasks[0].nodeID.isEmpty else { return (entry.slot, entry.tasks, .max) }
            copies[entry.tasks[0].nodeID, default: 0] += 1
            return (entry.slot, entry.tasks, copies[entry.tasks[0].nodeID]!)
        }
        // A stable sort by copy index keeps the running-first, slot-number order among equals.
        return indexed.enumerated().sorted { lhs, rhs in
            lhs.element.index != rhs.element.index ? lhs.element.index < rhs.element.index : lhs.offset < rhs.offset
        }.map { (slot: $0.element.slot, tasks: $0.element.tasks) }
    }
}
