import Foundation
import ShoalModel
import Testing
@testable import ShoalOrchestrator

/// A replicated service's slots: created in the lowest free numbers, removed from the most loaded nodes first,
/// kept when a task ended for good, and left alone when they already match.
@Suite struct ReplicatedReconcilerTests {
    let nodes = [node("n1"), node("n2"), node("n3")]

    @Test func aNewServiceGetsOneTaskPerSlot() {
        let svc = service(mode: .replicated(replicas: 3))
        let actions = ReplicatedReconciler.reconcile(svc, tasks: [], context: context(nodes))
        let created = actions.created
        #expect(created.map(\.slot) == [1, 2, 3])
        #expect(created.allSatisfy { $0.nodeID.isEmpty && $0.desiredState == .running && $0.status.state == .new })
        #expect(created.allSatisfy { $0.serviceID == "svc" && $0.spec == svc.spec.taskTemplate && $0.specVersion == 10 })
        #expect(Set(created.map(\.id)).count == 3)
    }

    @Test func matchingSlotsNeedNothing() {
        let svc = service(mode: .replicated(replicas: 2))
        let tasks = [task("a", of: svc, slot: 1, on: "n1"), task("b", of: svc, slot: 2, on: "n2")]
        #expect(ReplicatedReconciler.reconcile(svc, tasks: tasks, context: context(nodes)).isEmpty)
    }

    @Test func scalingUpFillsTheLowestFreeSlots() {
        let svc = service(mode: .replicated(replicas: 4))
        let tasks = [task("a", of: svc, slot: 2, on: "n1"), task("b", of: svc, slot: 4, on: "n2")]
        #expect(ReplicatedReconciler.reconcile(svc, tasks: tasks, context: context(nodes)).created.map(\.slot) == [1, 3])
    }

    @Test func scalingDownLeavesTheNodesBalanced() {
        let svc = service(mode: .replicated(replicas: 3))
        // n1 holds three copies, n2 two, n3 one; slot 6 is not running yet.
        let tasks = [
            task("a", of: svc, slot: 1, on: "n1"), task("b", of: svc, slot: 2, on: "n1"),
            task("c", of: svc, slot: 3, on: "n1"), task("d", of: svc, slot: 4, on: "n2"),
            task("e", of: svc, slot: 5, on: "n2"), task("f", of: svc, slot: 6, on: "n3", state: .starting),
        ]
        let actions = ReplicatedReconciler.reconcile(svc, tasks: tasks, context: context(nodes))
        #expect(actions.created.isEmpty)
        // Kept: the first copy on each node (a, d, f); removed: the second and third copies.
        #expect(actions.desired(.remove) == ["b", "c", "e"])
    }

    @Test func scalingDownPrefersRemovingTasksThatAreNotRunning() {
        let svc = service(mode: .replicated(replicas: 1))
        let tasks = [task("a", of: svc, slot: 1, state: .pending), task("b", of: svc, slot: 2, on: "n2")]
        #expect(ReplicatedReconciler.reconcile(svc, tasks: tasks, context: context(nodes)).desired(.remove) == ["a"])
    }

    @Test func aFailedTaskIsReplacedInItsSlot() {
        let svc = service(mode: .replicated(replicas: 2))
        let tasks = [task("a", of: svc, slot: 1, on: "n1", state: .failed), task("b", of: svc, slot: 2, on: "n2")]
        let actions = ReplicatedReconciler.reconcile(svc, tasks: tasks, context: context(nodes))
        #expect(actions.desired(.shutdown) == ["a"])
        #expect(actions.created.map(\.slot) == [1])
        #expect(actions.created.first?.nodeID == "")
    }

    @Test func aSlotWhoseTaskMayNotRestartStaysCountedWithoutANewTask() {
        let svc = service(mode: .replicated(replicas: 2), restart: TaskRestartPolicy(condition: .none, delay: 0))
        let tasks = [task("a", of: svc, slot: 1, on: "n1", state: .complete), task("b", of: svc, slot: 2, on: "n2")]
        let first = ReplicatedReconciler.reconcile(svc, tasks: tasks, context: context(nodes))
        #expect(first.desired(.shutdown) == ["a"] && first.created.isEmpty)
        // And on the next pass, with the shutdown committed, still nothing to do.
        #expect(ReplicatedReconciler.reconcile(svc, tasks: tasks.applying(first), context: context(nodes)).isEmpty)
    }

    @Test func tasksOnDownOrDrainedNodesMoveAndThoseOnRemovedNodesToo() {
        let svc = service(mode: .replicated(replicas: 3))
        let cluster = [node("n1", state: .down), node("n2", availability: .drain), node("n3")]
        let tasks = [task("a", of: svc, slot: 1, on: "n1"), task("b", of: svc, slot: 2, on: "n2"),
                     task("c", of: svc, slot: 3, on: "gone")]
        let actions = ReplicatedReconciler.reconcile(svc, tasks: tasks, context: context(cluster))
        #expect(actions.desired(.shutdown) == ["a", "b", "c"])
        #expect(actions.created.map(\.slot).sorted() == [1, 2, 3])
        #expect(actions.created.allSatisfy { $0.nodeID.isEmpty })
    }

    @Test func aPausedNodeKeepsItsTasks() {
        let svc = service(mode: .replicated(replicas: 1))
        let actions = ReplicatedReconciler.reconcile(
            svc, tasks: [task("a", of: svc, slot: 1, on: "n1")], context: context([node("n1", availability: .pause)]))
        #expect(actions.isEmpty)
    }

    @Test func aGlobalServiceIsNotItsBusiness() {
        #expect(ReplicatedReconciler.reconcile(service(mode: .global), tasks: [], context: context(nodes)).isEmpty)
    }
}
