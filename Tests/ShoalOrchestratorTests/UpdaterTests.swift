import Foundation
import ShoalModel
import Testing
@testable import ShoalOrchestrator

/// Rolling updates and rollbacks, step by step: batches of `parallelism`, stop-first and start-first, the
/// monitor and the delay between batches, the failure actions and their messages, and completion.
@Suite struct UpdaterTests {
    let nodes = [node("n1"), node("n2"), node("n3")]
    let started = epoch.addingTimeInterval(100)

    /// A service of 3 replicas updated from busybox:1 to busybox:2 at `started`, with its 3 old tasks running.
    func updating(_ config: UpdateConfig) -> (SwarmService, [SwarmTask]) {
        var svc = service(mode: .replicated(replicas: 3))
        svc.spec.taskTemplate.containerSpec.image = "busybox:1"
        let old = (1...3).map { task("old\($0)", of: svc, slot: $0, on: "n\($0)") }
        svc.previousSpec = svc.spec
        svc.spec.taskTemplate.containerSpec.image = "busybox:2"
        svc.spec.updateConfig = config
        svc.updateStatus = Updater.begin(now: started)
        return (svc, old)
    }

    /// The replacement `id` reported running at `time`.
    func run(_ tasks: inout [SwarmTask], _ id: String, at time: Date) {
        let index = tasks.firstIndex { $0.id == id }!
        tasks[index].nodeID = "n\(tasks[index].slot)"
        tasks[index].status = TaskStatus(timestamp: time, state: .running)
        tasks[index].status.runningSince = time
    }

    @Test func anUpdateBeginsWhenTasksRunAnOlderSpecAndNoneIsOnRecord() {
        var (svc, old) = updating(UpdateConfig())
        svc.updateStatus = nil
        #expect(Updater.begins(svc, tasks: old, now: started) == Updater.begin(now: started))
        // Up to date, already on record (paused or completed), or only ended tasks differ: nothing begins.
        var current = old
        for index in current.indices { current[index].spec = svc.spec.taskTemplate }
        #expect(Updater.begins(svc, tasks: current, now: started) == nil)
        var paused = svc
        paused.updateStatus = ServiceUpdateStatus(state: .paused, startedAt: epoch, message: "paused")
        #expect(Updater.begins(paused, tasks: old, now: started) == nil)
        let ended = old.map { task -> SwarmTask in
            var task = task
            task.desiredState = .shutdown
            return task
        }
        #expect(Updater.begins(svc, tasks: ended, now: started) == nil)
    }

    @Test func stopFirstReplacesOneSlotAtATimeOnceTheLastRuns() {
        let (svc, old) = updating(UpdateConfig(parallelism: 1, monitor: 5))
        var tasks = old
        let first = Updater.step(svc, tasks: tasks, context: context(nodes, now: started))
        #expect(first.actions.desired(.shutdown) == ["old1"])
        #expect(first.actions.created.map(\.slot) == [1] && first.status == nil)
        tasks = tasks.applying(first.actions)
        let newID = first.actions.created[0].id
        // Not running yet: nothing more.
        #expect(Updater.step(svc, tasks: tasks, context: context(nodes, now: started + 1)).actions.isEmpty)
        // Running (still watched for failures): the next slot goes.
        run(&tasks, newID, at: started + 2)
        let next = Updater.step(svc, tasks: tasks, context: context(nodes, now: started + 2))
        #expect(next.actions.desired(.shutdown) == ["old2"] && next.actions.created.map(\.slot) == [2])
        #expect(next.next == started + 7)
    }

    @Test func startFirstKeepsTheOldTaskUntilItsReplacementRuns() {
        let (svc, old) = updating(UpdateConfig(parallelism: 1, monitor: 0, order: .startFirst))
        var tasks = old
        let first = Updater.step(svc, tasks: tasks, context: context(nodes, now: started))
        #expect(first.actions.desired(.shutdown).isEmpty && first.actions.created.map(\.slot) == [1])
        tasks = tasks.applying(first.actions)
        run(&tasks, first.actions.created[0].id, at: started + 1)
        let next = Updater.step(svc, tasks: tasks, context: context(nodes, now: started + 1))
        #expect(next.actions.desired(.shutdown) == ["old1"])
        #expect(next.actions.created.map(\.slot) == [2])
    }

    @Test func parallelismZeroReplacesEverySlotAtOnce() {
        let (svc, old) = updating(UpdateConfig(parallelism: 0))
        let step = Updater.step(svc, tasks: old, context: context(nodes, now: started))
        #expect(step.actions.created.map(\.slot) == [1, 2, 3] && step.actions.desired(.shutdown) == ["old1", "old2", "old3"])
    }

    @Test func theDelaySeparatesBatches() {
        let (svc, old) = updating(UpdateConfig(parallelism: 1, delay: 10, monitor: 0))
        var tasks = old
        let first = Updater.step(svc, tasks: tasks, context: context(nodes, now: started))
        tasks = tasks.applying(first.actions)
        run(&tasks, first.actions.created[0].id, at: started + 1)
        let waiting = Updater.step(svc, tasks: tasks, context: context(nodes, now: started + 5))
        #expect(waiting.actions.isEmpty && waiting.next == started + 10)
        #expect(Updater.step(svc, tasks: tasks, context: context(nodes, now: started + 10)).actions.created.map(\.slot) == [2])
    }

    @Test func aFailureWhileWatchedPausesRollsBackOrIsTolerated() {
        for (action, ratio, expected) in [(UpdateConfig.FailureAction.pause, 0.0, ServiceUpdateStatus.State.paused),
                                          (.rollback, 0.0, .rollbackStarted), (.continue, 0.0, .updating),
                                          (.pause, 0.5, .updating)] {
            let (svc, old) = updating(UpdateConfig(parallelism: 1, failureAction: action, monitor: 5, maxFailureRatio: ratio))
            var tasks = old
            let first = Updater.step(svc, tasks: tasks, context: context(nodes, now: started))
            tasks = tasks.applying(first.actions)
            let id = first.actions.created[0].id
            run(&tasks, id, at: started + 1)
            let index = tasks.firstIndex { $0.id == id }!
            tasks[index].status.state = .failed
            tasks[index].status.timestamp = started + 3
            let step = Updater.step(svc, tasks: tasks, context: context(nodes, now: started + 3))
            #expect((step.status?.state ?? .updating) == expected, "\(action) \(ratio)")
            if expected == .paused {
                #expect(step.status?.message == "update paused due to failure or early termination of task \(id)")
            }
            if expected == .rollbackStarted {
                #expect(step.rollsBack && step.status?.message == "update rolled back due to failure or early termination of task \(id)")
            }
        }
    }

    @Test func aFailingRollbackPausesInsteadOfRollingBack() {
        var (svc, old) = updating(UpdateConfig(failureAction: .rollback))
        svc.spec.rollbackConfig = UpdateConfig(parallelism: 1, failureAction: .rollback, monitor: 5)
        svc.updateStatus = Updater.begin(now: started, rollback: true)
        var tasks = old.applying(Updater.step(svc, tasks: old, context: context(nodes, now: started)).actions)
        let id = tasks.last!.id
        tasks[tasks.count - 1].status = TaskStatus(timestamp: started + 1, state: .rejected)
        let step = Updater.step(svc, tasks: tasks, context: context(nodes, now: started + 1))
        #expect(!step.rollsBack && step.status?.state == .rollbackPaused)
        #expect(step.status?.message == "rollback paused due to failure or early termination of task \(id)")
    }

    @Test func anUpdateWithEverySlotReplacedAndWatchedIsCompleted() {
        let (svc, old) = updating(UpdateConfig(parallelism: 0, monitor: 5))
        var tasks = old
        let step = Updater.step(svc, tasks: tasks, context: context(nodes, now: started))
        tasks = tasks.applying(step.actions)
        for task in step.actions.created { run(&tasks, task.id, at: started + 1) }
        #expect(Updater.step(svc, tasks: tasks, context: context(nodes, now: started + 2)).status == nil)
        let done = Updater.step(svc, tasks: tasks, context: context(nodes, now: started + 6))
        #expect(done.status?.state == .completed && done.status?.message == "update completed")
        #expect(done.status?.completedAt == started + 6)
        var finished = svc
        finished.updateStatus = done.status
        #expect(Updater.step(finished, tasks: tasks, context: context(nodes, now: started + 7)) == Updater.Step())
    }
}

