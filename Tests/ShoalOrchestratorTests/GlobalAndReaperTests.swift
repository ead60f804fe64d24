import Foundation
import ShoalModel
import Testing
@testable import ShoalOrchestrator

/// A global service's one task per eligible node, and the reaper's bounded history.
@Suite struct GlobalReconcilerTests {
    @Test func eachEligibleNodeGetsOneTaskBoundToIt() {
        let svc = service(mode: .global, constraints: ["node.labels.zone==a"])
        let nodes = [node("n1", labels: ["zone": "a"]), node("n2", labels: ["zone": "a"]), node("n3", labels: ["zone": "b"]),
                     node("n4", state: .down, labels: ["zone": "a"]), node("n5", availability: .drain, labels: ["zone": "a"])]
        let actions = GlobalReconciler.reconcile(svc, tasks: [task("a", of: svc, on: "n1")], context: context(nodes))
        #expect(actions.created.map(\.nodeID) == ["n2"])
        #expect(actions.created.first?.slot == 0)
    }

    @Test func nodesThatStopQualifyingLoseTheirTaskExceptPausedAndDownOnes() {
        let svc = service(mode: .global)
        let nodes = [node("n1", availability: .drain), node("n2", availability: .pause), node("n3", state: .down)]
        let tasks = [task("a", of: svc, on: "n1"), task("b", of: svc, on: "n2"), task("c", of: svc, on: "n3"),
                     task("d", of: svc, on: "gone")]
        let actions = GlobalReconciler.reconcile(svc, tasks: tasks, context: context(nodes))
        #expect(actions.desired(.shutdown) == ["a"])
        #expect(actions.desired(.remove) == ["d"])
        #expect(actions.created.isEmpty)
    }

    @Test func aFailedTaskIsReplacedOnItsNode() {
        let svc = service(mode: .global)
        let actions = GlobalReconciler.reconcile(svc, tasks: [task("a", of: svc, on: "n1", state: .failed)],
                                                 context: context([node("n1")]))
        #expect(actions.desired(.shutdown) == ["a"])
        #expect(actions.created.map(\.nodeID) == ["n1"])
    }
}

@Suite struct TaskReaperTests {
    @Test func removedTasksGoOnceStoppedOrNeverPlaced() {
        let svc = service()
        let tasks = [task("stopped", of: svc, slot: 1, on: "n1", state: .shutdown, desired: .remove),
                     task("stopping", of: svc, slot: 2, on: "n1", state: .running, desired: .remove),
                     task("unplaced", of: svc, slot: 3, state: .pending, desired: .remove),
                     task("orphan", of: service("gone"), slot: 1, on: "n1", state: .failed, desired: .shutdown)]
        let actions = TaskReaper.reap(tasks, services: ["svc": svc], historyLimit: 5, nodes: ["n1": node("n1")])
        #expect(actions.deleted == ["orphan", "stopped", "unplaced"])
    }

    @Test func eachSlotKeepsTheHistoryLimitOldestEndedFirst() {
        let svc = service()
        var tasks = (0..<7).map { n in
            task("old\(n)", of: svc, slot: 1, on: "n1", state: .failed, desired: .shutdown, at: epoch.addingTimeInterval(Double(n)))
        }
        tasks.append(task("live", of: svc, slot: 1, on: "n1", at: epoch.addingTimeInterval(100)))
        tasks.append(task("other", of: svc, slot: 2, on: "n1", state: .failed, desired: .shutdown))
        let actions = TaskReaper.reap(tasks, services: ["svc": svc], historyLimit: 5, nodes: ["n1": node("n1")])
        #expect(actions.deleted == ["old0", "old1", "old2"])
        #expect(TaskReaper.reap(tasks, services: ["svc": svc], historyLimit: -1, nodes: ["n1": node("n1")]).isEmpty)

        // Only the services asked for are looked at (the round's services with something to reap).
        let other = service("other")
        let others = (0..<7).map { n in
            task("x\(n)", of: other, slot: 1, on: "n1", state: .failed, desired: .shutdown,
                 at: epoch.addingTimeInterval(Double(n)))
        }
        let services = ["svc": svc, "other": other]
        #expect(TaskReaper.reap(tasks + others, only: ["other"], services: services, historyLimit: 5,
                                nodes: ["n1": node("n1")]).deleted == ["x0", "x1"])
        #expect(TaskReaper.reap(tasks + others, services: services, historyLimit: 5, nodes: ["n1": node("n1")]).deleted
                == ["old0", "old1", "old2", "x0", "x1"])
    }

    @Test func aRestartLimitKeepsMaxAttemptsPlusOne() {
        let svc = service(restart: TaskRestartPolicy(delay: 0, maxAttempts: 1))
        let tasks = (0..<4).map { n in
            task("t\(n)", of: svc, slot: 1, on: "n1", state: .failed, desired: .shutdown, at: epoch.addingTimeInterval(Double(n)))
        }
        #expect(TaskReaper.reap(tasks, services: ["svc": svc], historyLimit: 5, nodes: ["n1": node("n1")]).deleted
                == ["t0", "t1"])
    }
}
