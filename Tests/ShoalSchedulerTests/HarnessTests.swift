/// Clusters changing under a service, through the harness: drained, paused and down nodes, and nodes coming back.
import ShoalModel
import Testing
@testable import ShoalScheduler

@Suite struct HarnessTests {
    @Test func drainingANodeMovesItsReplicasEvenlyToTheOthers() {
        var harness = SchedulerHarness(nodes: ["a", "b", "c", "d"].map { node($0) })
        harness.create(8, service: "web")
        #expect(harness.running("web") == ["a": 2, "b": 2, "c": 2, "d": 2])
        harness.updateNode(node("a", availability: .drain))
        harness.evacuate("a")
        harness.tick()
        let counts = harness.running("web")
        #expect(counts["a"] == nil && counts.values.reduce(0, +) == 8)
        #expect(counts.values.max()! - counts.values.min()! <= 1)
    }

    @Test func aPausedNodeKeepsItsTasksButTakesNoNewOnes() {
        var harness = SchedulerHarness(nodes: [node("a"), node("b")])
        harness.create(2, service: "web")
        harness.updateNode(node("a", availability: .pause))
        harness.create(3, service: "web")
        #expect(harness.running("web") == ["a": 1, "b": 4])
    }

    @Test func aDownNodesReplacementsWaitWhenNothingElseFits() {
        var harness = SchedulerHarness(nodes: [node("a"), node("b")])
        harness.create(2, service: "web", spec: taskSpec(constraints: ["node.id==a"]))
        #expect(harness.running("web") == ["a": 2])
        harness.updateNode(node("a", state: .down))
        harness.evacuate("a")
        harness.tick()
        #expect(harness.pendingErrors("web") == Array(repeating:
            "no suitable node (1 node not available for new tasks; scheduling constraints not satisfied on 1 node)", count: 2))
        // The node comes back: the waiting tasks go there on the next round.
        harness.updateNode(node("a"))
        harness.tick()
        #expect(harness.running("web") == ["a": 2])
    }

    @Test func aNewNodeTakesTheNextReplicasFirst() {
        var harness = SchedulerHarness(nodes: [node("a"), node("b")])
        harness.create(4, service: "web")
        harness.updateNode(node("c"))
        harness.create(2, service: "web")
        #expect(harness.running("web") == ["a": 2, "b": 2, "c": 2])
    }
}
