import Foundation
import ShoalModel
import ShoalScheduler

/// Rebalancing, beyond Docker (moby#24103, swarmkit#310): when a replicated service's running tasks are spread
/// unevenly over the nodes that may run them (a node joined, came back from Down, or was set active after a
/// drain), its tasks move onto the emptier nodes gradually: one move at a time per service, start-first, and
/// the next one no sooner than the service's update delay after the last.
///
/// A move: the slot of a task on the most crowded node gets a second task, which the scheduler places by its
/// spread (on the emptiest node); once that one runs, the old one is shut down (were it placed on the old one's
/// node after all, the new one goes instead). A service labelled `shoal.rebalance=false` is left as it is, and
/// so is one whose update is in progress or whose tasks are not all running.
public enum Rebalancer {
    public static let optOutLabel = "shoal.rebalance"

    public struct Step: Sendable, Equatable {
        public var actions: [OrchestratorAction] = []
        /// When the next move may start (the update delay), if one waits on the clock.
        public var next: Date?

        public init(actions: [OrchestratorAction] = [], next: Date? = nil) {
            self.actions = actions
            self.next = next
        }
    }

    public static func step(_ service: SwarmService, tasks: [SwarmTask], context: OrchestrationContext) -> Step {
        guard case .replicated = service.spec.mode, service.spec.labels[optOutLabel] != "false",
              !(service.updateStatus?.inProgress ?? false) else { return Step() }
        let live = tasks.filter(\.isLive)
        let slots = Dictionary(grouping: live, by: \.slot)
        // A move under way: it completes once its new task runs.
        if let moving = slots.values.first(where: { $0.count > 1 }) {
            return Step(actions: complete(moving))
        }
        guard !live.isEmpty, live.allSatisfy({ $0.status.state == .running && $0.desiredState == .running }) else {
            return Step()
        }
        let eligible = ((try? context.nodeView.nodesForGlobalService(service.spec.taskTemplate)) ?? [])
            .filter { context.nodes[$0]?.status.state == .ready }
        guard eligible.count > 1 else { return Step() }
        var counts = Dictionary(uniqueKeysWithValues: eligible.map { ($0, 0) })
        for task in live where counts[task.nodeID] != nil { counts[task.nodeID]! += 1 }
        let ordered = counts.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
        guard let emptiest = ordered.first, let crowded = ordered.last, crowded.value - emptiest.value >= 2 else {
            return Step()
        }
        let maxPerNode = service.spec.taskTemplate.placement.maxReplicas
        if maxPerNode > 0 && UInt64(emptiest.value + 1) > maxPerNode { return Step() }
        // Paced by the update delay, from the start of the last task the service got.
        let delay = service.spec.updateConfig?.delay ?? 0
        if let last = live.map(\.createdAt).max(), context.now < last.addingTimeInterval(delay) {
            return Step(next: last.addingTimeInterval(delay))
        }
        guard let moved = live.filter({ $0.nodeID == crowded.key }).max(by: { $0.slot < $1.slot }) else { return Step() }
        return Step(actions: [.create(SwarmTask.new(of: service, slot: moved.slot, nodeID: "", id: context.newTaskID(),
                                                    now: context.now))])
    }

    /// A slot's old task goes once the new one runs on another node; the new one goes if it landed beside it.
    static func complete(_ slot: [SwarmTask]) -> [OrchestratorAction] {
        let ordered = slot.sorted { $0.createdAt < $1.createdAt }
        guard let newest = ordered.last, newest.status.state == .running else { return [] }
        let older = ordered.dropLast()
        if older.contains(where: { $0.nodeID == newest.nodeID }) {
            return [.setDesiredState(taskID: newest.id, .shutdown)]
        }
        return older.map { .setDesiredState(taskID: $0.id, .shutdown) }
    }
}
