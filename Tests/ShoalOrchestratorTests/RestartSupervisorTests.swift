import Foundation
import ShoalModel
import Testing
@testable import ShoalOrchestrator

/// The restart policy: conditions, the delay (waited in desired state `ready`, none when the node is drained, Down or gone), and
/// `maxAttempts` counted per slot and spec, within the window, from the history each replacement carries.
@Suite struct RestartSupervisorTests {
    let nodes = [node("n1"), node("n2")]

    @Test func conditionsDecideWhetherAnEndedTaskIsReplaced() {
        for (condition, state, replaced) in [(TaskRestartPolicy.Condition.any, TaskState.complete, true),
                                             (.any, .failed, true), (.onFailure, .complete, false),
                                             (.onFailure, .failed, true), (.onFailure, .rejected, true),
                                             (.none, .failed, false)] {
            let svc = service(restart: TaskRestartPolicy(condition: condition, delay: 0))
            let actions = RestartSupervisor.restarts(of: svc, tasks: [task("a", of: svc, slot: 1, on: "n1", state: state)],
                                                     context: context(nodes))
            #expect(actions.desired(.shutdown) == ["a"], "\(condition) \(state)")
            #expect(actions.created.count == (replaced ? 1 : 0), "\(condition) \(state)")
        }
    }

    @Test func theDelayIsWaitedOutInDesiredStateReady() {
        let svc = service(restart: TaskRestartPolicy(delay: 5))
        let now = epoch.addingTimeInterval(60)
        let actions = RestartSupervisor.restarts(of: svc, tasks: [task("a", of: svc, slot: 1, on: "n1", state: .failed)],
                                                 context: context(nodes, now: now))
        let replacement = try! #require(actions.created.first)
        #expect(replacement.desiredState == .ready && replacement.slot == 1)
        let early = RestartSupervisor.dueStarts([replacement], now: now.addingTimeInterval(4))
        #expect(early.actions.isEmpty && early.next == now.addingTimeInterval(5))
        let due = RestartSupervisor.dueStarts([replacement], now: now.addingTimeInterval(5))
        #expect(due.actions.desired(.running) == [replacement.id] && due.next == nil)
    }

    @Test func aTaskLeavingADrainedDownOrGoneNodeDoesNotWait() {
        let svc = service(restart: TaskRestartPolicy(delay: 5))
        for nodes in [[node("n1", availability: .drain)], [node("n1", state: .down)], []] {
            let actions = RestartSupervisor.restarts(
                of: svc, tasks: [task("a", of: svc, slot: 1, on: "n1")], context: context(nodes))
            #expect(actions.created.count == 1 && actions.created.first?.desiredState == .running, "\(nodes)")
        }
    }

    @Test func maxAttemptsCountsTheSlotsRestartsUnderItsSpec() {
        let svc = service(restart: TaskRestartPolicy(delay: 0, maxAttempts: 2))
        var tasks = [task("a", of: svc, slot: 1, on: "n1", state: .failed)]
        var replacements = 0
        // Each replacement fails in turn: two restarts, then the slot is left with its last failed task.
        for round in 0..<4 {
            let now = epoch.addingTimeInterval(Double(round + 1) * 10)
            let actions = RestartSupervisor.restarts(of: svc, tasks: tasks, context: context(nodes, now: now))
            tasks = tasks.applying(actions)
            if let new = actions.created.first {
                replacements += 1
                #expect(new.restartHistory.count == replacements)
                // It runs on n1 and fails too.
                let index = tasks.firstIndex { $0.id == new.id }!
                tasks[index].nodeID = "n1"
                tasks[index].status = TaskStatus(timestamp: now.addingTimeInterval(1), state: .failed)
                tasks[index].id = "r\(round)"
            }
        }
        #expect(replacements == 2)
    }

    @Test func theWindowForgetsOldRestarts() {
        let svc = service(restart: TaskRestartPolicy(delay: 0, maxAttempts: 1, window: 30))
        var failed = task("a", of: svc, slot: 1, on: "n1", state: .failed, at: epoch.addingTimeInterval(100))
        failed.restartHistory = [epoch]  // a restart long before the window
        #expect(RestartSupervisor.restarts(of: svc, tasks: [failed], context: context(nodes)).created.count == 1)
        failed.restartHistory = [epoch.addingTimeInterval(90)]  // inside it
        #expect(RestartSupervisor.restarts(of: svc, tasks: [failed], context: context(nodes)).created.isEmpty)
    }

    @Test func aNewSpecStartsTheCountAfresh() {
        var svc = service(restart: TaskRestartPolicy(delay: 0, maxAttempts: 1))
        var failed = task("a", of: svc, slot: 1, on: "n1", state: .failed)
        failed.restartHistory = [epoch]
        #expect(RestartSupervisor.restarts(of: svc, tasks: [failed], context: context(nodes)).created.isEmpty)
        svc.spec.taskTemplate.containerSpec.image = "busybox:2"
        let actions = RestartSupervisor.restarts(of: svc, tasks: [failed], context: context(nodes))
        #expect(actions.created.first?.spec.containerSpec.image == "busybox:2")
        #expect(actions.created.first?.restartHistory.count == 1)
    }

    @Test func tasksNotYetPlacedOrWaitingAreLeftAlone() {
        let svc = service(restart: TaskRestartPolicy(delay: 5))
        let tasks = [task("a", of: svc, slot: 1, state: .pending),
                     task("b", of: svc, slot: 2, state: .new, desired: .ready)]
        #expect(RestartSupervisor.restarts(of: svc, tasks: tasks, context: context([node("n1", state: .down)])).isEmpty)
    }
}
