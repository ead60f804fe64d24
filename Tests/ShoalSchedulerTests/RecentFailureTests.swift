/// A node where a service keeps failing is tried last for that service, for a while (SwarmKit: 5 failures in
/// 5 minutes, per spec version); the caller's clock decides what "a while" is.
import Foundation
import ShoalModel
import Testing
@testable import ShoalScheduler

@Suite struct RecentFailureTests {
    /// `a` is empty but saw `failures` tasks of web (spec version 1) fail; `b` already runs two web tasks.
    private func cluster(failures: Int, state failed: TaskState = .failed, bound: Bool = false) -> SchedulerState {
        var state = SchedulerState(nodes: [node("a"), node("b")],
                                   tasks: [running("web.b1", service: "web", on: "b"), running("web.b2", service: "web", on: "b")])
        for index in 0..<failures {
            var attempt = task("web.f\(index)", service: "web", nodeID: "a", state: bound ? .pending : .assigned)
            attempt.specVersion = 1
            state.observe(attempt)
            if bound { _ = state.schedule([attempt]) }
            attempt.status = TaskStatus(timestamp: epoch.addingTimeInterval(Double(index)), state: failed)
            state.observe(attempt)
        }
        return state
    }

    private func next(version: UInt64 = 1) -> [SwarmTask] {
        var pending = task("web.new", service: "web")
        pending.specVersion = version
        return [pending]
    }

    @Test func fiveFailuresSendTheServiceElsewhere() {
        var state = cluster(failures: 5)
        #expect(state.nodeInfo(id: "a")?.taskCount == 0)
        #expect(state.schedule(next(), now: epoch.addingTimeInterval(60)).map(\.nodeID) == ["b"])
    }

    @Test func rejectionsCountToo() {
        var state = cluster(failures: 5, state: .rejected)
        #expect(state.schedule(next(), now: epoch.addingTimeInterval(60)).map(\.nodeID) == ["b"])
    }

    @Test func fourFailuresAreNotEnough() {
        var state = cluster(failures: 4)
        #expect(state.schedule(next(), now: epoch.addingTimeInterval(60)).map(\.nodeID) == ["a"])
    }

    @Test func failuresAgeOutOfTheWindow() {
        var state = cluster(failures: 5)
        #expect(state.schedule(next(), now: epoch.addingTimeInterval(5 * 60 + 1)).map(\.nodeID) == ["a"])
    }

    @Test func anotherSpecVersionStartsClean() {
        var state = cluster(failures: 5)
        #expect(state.schedule(next(version: 2), now: epoch.addingTimeInterval(60)).map(\.nodeID) == ["a"])
    }

    @Test func withoutAClockFailuresAreNotWeighed() {
        var state = cluster(failures: 5)
        #expect(state.schedule(next()).map(\.nodeID) == ["a"])
    }

    @Test func failuresOfTasksBoundToTheNodeDoNotCount() {
        var state = cluster(failures: 5, bound: true)
        #expect(state.schedule(next(), now: epoch.addingTimeInterval(60)).map(\.nodeID) == ["a"])
    }

    @Test func aNodeStillTakesTheTaskWhenNoOtherCan() {
        var state = cluster(failures: 5)
        state.upsertNode(node("b", availability: .drain))
        #expect(state.schedule(next(), now: epoch.addingTimeInterval(60)).map(\.nodeID) == ["a"])
    }
}
