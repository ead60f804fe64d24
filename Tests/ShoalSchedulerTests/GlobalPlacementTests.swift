/// Global services: which nodes get a task, and how a task bound to its node is confirmed or refused.
import Foundation
import ShoalModel
import Testing
@testable import ShoalScheduler

@Suite struct GlobalPlacementTests {
    private let cluster = SchedulerState(nodes: [
        node("a", labels: ["gpu": "yes"]), node("b"), node("down", state: .down), node("drained", availability: .drain),
        node("paused", availability: .pause), node("unknown", state: .unknown),
    ])

    @Test func everyActiveNodeNotDownThatMatchesGetsOne() throws {
        #expect(try cluster.nodesForGlobalService(taskSpec()) == ["a", "b", "unknown"])
        #expect(try cluster.nodesForGlobalService(taskSpec(constraints: ["node.labels.gpu==yes"])) == ["a"])
        expectError("constraint expected one operator from ==, !=") {
            _ = try cluster.nodesForGlobalService(taskSpec(constraints: ["node.labels.gpu"]))
        }
    }

    @Test func boundTasksAreConfirmedOnTheirNode() {
        var state = cluster
        let bound = [task("g.a", service: "g", nodeID: "a"), task("g.b", service: "g", nodeID: "b")]
        let decisions = state.schedule(bound)
        #expect(decisions.map(\.nodeID) == ["a", "b"])
        #expect(state.nodeInfo(id: "a")?.activeTasks(ofService: "g") == 1)
        let stored = decisions[0].applied(to: bound[0], at: epoch.addingTimeInterval(5))
        #expect(stored.status.state == .assigned && stored.nodeID == "a")
        #expect(stored.status.message == "scheduler confirmed task can run on preassigned node")
        #expect(stored.status.timestamp == epoch.addingTimeInterval(5))
    }

    @Test func aBoundTaskThatDoesNotFitGetsTheBareExplanation() {
        var state = cluster
        let decisions = state.schedule([
            task("big", service: "g", spec: taskSpec(reserveMemory: 64 * gib), nodeID: "a"),
            task("off", service: "g", nodeID: "unknown"),
            task("arm", service: "g", spec: taskSpec(platforms: [Platform(architecture: "arm64")]), nodeID: "b"),
            task("lost", service: "g", nodeID: "nowhere"),
        ])
        #expect(decisions.reasons == ["insufficient resources on 1 node", "1 node not available for new tasks",
                                      "unsupported platform on 1 node", "node nowhere not found"])
        let stored = decisions[0].applied(to: task("big", service: "g", nodeID: "a"), at: epoch)
        #expect(stored.status.state == .pending && stored.status.err == "insufficient resources on 1 node")
    }

    @Test func anAssignedTaskReadsAsDockerShowsIt() {
        var state = SchedulerState(nodes: [node("a")])
        let pending = task("t")
        let decision = state.schedule([pending])[0]
        let stored = decision.applied(to: pending, at: epoch)
        #expect(stored.nodeID == "a" && stored.status.state == .assigned)
        #expect(stored.status.message == "scheduler assigned task to node" && stored.status.err.isEmpty)
    }
}
