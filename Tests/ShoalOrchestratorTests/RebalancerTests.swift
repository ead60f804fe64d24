import Foundation
import ShoalModel
import Testing
@testable import ShoalOrchestrator

/// Rebalancing (beyond Docker): an uneven spread moves one task at a time onto the emptier nodes, start-first.
@Suite struct RebalancerTests {
    static let nodes = [node("n1"), node("n2"), node("n3")]

    /// Six running replicas, three on n1 and three on n2 (n3 was drained when they started).
    static func unevenTasks(_ svc: SwarmService) -> [SwarmTask] {
        (1...6).map { slot in task("a\(slot)", of: svc, slot: slot, on: slot <= 3 ? "n1" : "n2") }
    }

    @Test func anUnevenSpreadStartsOneMoveFromTheMostCrowdedNode() {
        let svc = service(mode: .replicated(replicas: 6))
        let step = Rebalancer.step(svc, tasks: Self.unevenTasks(svc), context: context(Self.nodes))
        #expect(step.actions.count == 1)
        let moved = step.actions.created.first
        // The highest slot of the most crowded node (n2 holds 3 like n1; ties go to the later node ID), unplaced:
        // the scheduler's spread puts it on n3.
        #expect(moved?.slot == 6 && moved?.nodeID == "" && moved?.desiredState == .running)
    }

    @Test func aMoveCompletesOnceTheNewTaskRunsElsewhere() {
        let svc = service(mode: .replicated(replicas: 6))
        var tasks = Self.unevenTasks(svc)
        tasks.append(task("new", of: svc, slot: 6, on: "n3", state: .starting, at: epoch.addingTimeInterval(30)))
        // Starting: nothing yet (and no second move).
        #expect(Rebalancer.step(svc, tasks: tasks, context: context(Self.nodes)).actions.isEmpty)
        tasks[tasks.count - 1].status.state = .running
        #expect(Rebalancer.step(svc, tasks: tasks, context: context(Self.nodes)).actions.desired(.shutdown) == ["a6"])
        // Placed beside the old one after all: the new one goes instead.
        tasks[tasks.count - 1].nodeID = "n2"
        #expect(Rebalancer.step(svc, tasks: tasks, context: context(Self.nodes)).actions.desired(.shutdown) == ["new"])
    }

    @Test func evenEnoughOptedOutUpdatingOrNotAllRunningIsLeftAlone() {
        var svc = service(mode: .replicated(replicas: 6))
        var even = Self.unevenTasks(svc)
        even[0].nodeID = "n3"
        even[3].nodeID = "n3"
        #expect(Rebalancer.step(svc, tasks: even, context: context(Self.nodes)).actions.isEmpty)
        // A difference of one is as even as it gets.
        even.remove(at: 1)
        #expect(Rebalancer.step(svc, tasks: even, context: context(Self.nodes)).actions.isEmpty)
        var starting = Self.unevenTasks(svc)
        starting[0].status.state = .starting
        #expect(Rebalancer.step(svc, tasks: starting, context: context(Self.nodes)).actions.isEmpty)
        // n3 drained or Down: no node to move to.
        for other in [node("n3", availability: .drain), node("n3", state: .down)] {
            #expect(Rebalancer.step(svc, tasks: Self.unevenTasks(svc), context: context([Self.nodes[0], Self.nodes[1], other]))
                .actions.isEmpty)
        }
        svc.spec.labels[Rebalancer.optOutLabel] = "false"
        #expect(Rebalancer.step(svc, tasks: Self.unevenTasks(svc), context: context(Self.nodes)).actions.isEmpty)
        svc.spec.labels = [:]
        svc.updateStatus = ServiceUpdateStatus(state: .updating, startedAt: epoch, message: "")
        #expect(Rebalancer.step(svc, tasks: Self.unevenTasks(svc), context: context(Self.nodes)).actions.isEmpty)
    }

    @Test func movesArePacedByTheUpdateDelay() {
        var svc = service(mode: .replicated(replicas: 6))
        svc.spec.updateConfig = UpdateConfig(delay: 10)
        var tasks = Self.unevenTasks(svc)
        tasks[5].createdAt = epoch.addingTimeInterval(55)
        let waiting = Rebalancer.step(svc, tasks: tasks, context: context(Self.nodes))
        #expect(waiting.actions.isEmpty && waiting.next == epoch.addingTimeInterval(65))
        #expect(Rebalancer.step(svc, tasks: tasks, context: context(Self.nodes, now: epoch.addingTimeInterval(65)))
            .actions.created.count == 1)
    }
}
