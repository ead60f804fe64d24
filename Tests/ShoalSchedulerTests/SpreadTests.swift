/// Spreading: a service's tasks go to the nodes with the fewest of them, then to the least loaded nodes; and the
/// accounting that spreading reads (tasks observed, ended, forgotten; nodes added and changed).
import Foundation
import ShoalCore
import ShoalModel
import Testing
@testable import ShoalScheduler

@Suite struct SpreadTests {
    @Test func replicasSpreadEvenlyOverEmptyNodes() {
        var state = SchedulerState(nodes: ["a", "b", "c"].map { node($0) })
        let decisions = state.schedule(tasks(7))
        #expect(decisions.count == 7 && decisions.assignedCount == 7)
        // Ties break by node ID, so the remainder lands on the first node.
        #expect(decisions.perNode == ["a": 3, "b": 2, "c": 2])
    }

    @Test func theServicesOwnCountComesBeforeTheNodesTotal() {
        var state = SchedulerState(nodes: [node("a"), node("b")],
                                   tasks: (1...5).map { running("busy.\($0)", service: "busy", on: "a") })
        // b is emptier, so the first task goes there; then b has one of ours and a none: a is next.
        let decisions = state.schedule(tasks(2, service: "web"))
        #expect(decisions.map(\.nodeID) == ["b", "a"])
        #expect(state.schedule(tasks(1, service: "api")).map(\.nodeID) == ["b"])
    }

    @Test func existingReplicasOfTheServiceAreLevelledFirst() {
        let existing = (1...4).map { running("web.old\($0)", service: "web", on: "a") }
        var state = SchedulerState(nodes: [node("a"), node("b"), node("c")], tasks: existing)
        let decisions = state.schedule(tasks(5, service: "web"))
        #expect(decisions.perNode == ["b": 3, "c": 2])
        #expect(serviceCounts(state, service: "web", nodes: ["a", "b", "c"]) == [4, 3, 2])
    }

    @Test func placementsAreRecordedForTheNextBatch() {
        var state = SchedulerState(nodes: [node("a"), node("b")])
        for round in 0..<6 {
            _ = state.schedule([task("web.\(round)", service: "web")])
        }
        #expect(serviceCounts(state, service: "web", nodes: ["a", "b"]) == [3, 3])
    }

    @Test func observeCountsOnlyTasksHoldingTheirNode() {
        var state = SchedulerState(nodes: [node("a")])
        let spec = taskSpec(reserveCPU: cpu)
        state.observe(task("p", spec: spec, nodeID: "a", state: .pending))     // preassigned: not yet
        state.observe(task("u", spec: spec, state: .pending))                   // unassigned
        #expect(state.nodeInfo(id: "a")?.taskCount == 0)
        state.observe(task("r", spec: spec, nodeID: "a", state: .running))
        state.observe(task("s", spec: spec, nodeID: "a", state: .starting))
        #expect(state.nodeInfo(id: "a")?.activeTasks == 2)
        #expect(state.nodeInfo(id: "a")?.available.nanoCPUs == 2 * cpu)
        // Desired shutdown: still holds its reservation, no longer counts for spreading.
        state.observe(task("r", spec: spec, nodeID: "a", state: .running, desired: .shutdown))
        #expect(state.nodeInfo(id: "a")?.activeTasks == 1)
        #expect(state.nodeInfo(id: "a")?.available.nanoCPUs == 2 * cpu)
        // Ended: gives everything back.
        state.observe(task("r", spec: spec, nodeID: "a", state: .complete, desired: .shutdown))
        #expect(state.nodeInfo(id: "a")?.taskCount == 1)
        #expect(state.nodeInfo(id: "a")?.available.nanoCPUs == 3 * cpu)
        state.forget(taskID: "s")
        #expect(state.nodeInfo(id: "a")?.taskCount == 0)
        #expect(state.nodeInfo(id: "a")?.available == Resources(nanoCPUs: 4 * cpu, memoryBytes: 8 * gib))
    }

    @Test func aTaskMovedToAnotherNodeIsCountedThere() {
        var state = SchedulerState(nodes: [node("a"), node("b")])
        state.observe(running("t", service: "web", on: "a"))
        state.observe(running("t", service: "web", on: "b"))
        #expect(serviceCounts(state, service: "web", nodes: ["a", "b"]) == [0, 1])
    }

    @Test func nodeChangesKeepItsTasksAndRecomputeResources() {
        var state = SchedulerState(nodes: [node("a", cpus: 4)], tasks: [running("t", service: "s", on: "a", spec: taskSpec(reserveCPU: cpu))])
        state.upsertNode(node("a", labels: ["zone": "east"], cpus: 8))
        #expect(state.nodeInfo(id: "a")?.available.nanoCPUs == 7 * cpu)
        #expect(state.nodeInfo(id: "a")?.node.spec.labels == ["zone": "east"])
        state.upsertNode(node("0first"))
        #expect(state.nodes.map(\.id) == ["0first", "a"])
        state.removeNode(id: "a")
        #expect(state.nodes.map(\.id) == ["0first"])
        #expect(state.schedule(tasks(2)).perNode == ["0first": 2])
    }

    @Test func tasksNoLongerWantedGetNoDecision() {
        var state = SchedulerState(nodes: [node("a")])
        let decisions = state.schedule([task("gone", desired: .shutdown), task("kept")])
        #expect(decisions.map(\.taskID) == ["kept"])
    }

    @Test func tasksWithoutAServiceArePlacedOneByOne() {
        var state = SchedulerState(nodes: [node("a"), node("b")])
        let decisions = state.schedule([task("c1", service: ""), task("c2", service: "")])
        #expect(decisions.perNode == ["a": 1, "b": 1])
    }

    @Test func decisionsComeBackInTheOrderGiven() {
        var state = SchedulerState(nodes: [node("a"), node("b")])
        let mixed = [task("x.1", service: "x"), task("y.1", service: "y"), task("x.2", service: "x"),
                     task("y.2", service: "y", spec: taskSpec(constraints: ["node.id==none"]))]
        #expect(state.schedule(mixed).map(\.taskID) == ["x.1", "y.1", "x.2", "y.2"])
    }

    /// Random clusters: nodes up, down, drained or paused, labelled or not, already running other services'
    /// tasks. A service constrained to some label places every task on an eligible node, evenly (max − min ≤ 1),
    /// and when there are fewer tasks than eligible nodes, on the least loaded ones.
    @Test(arguments: 0..<40)
    func spreadIsEvenOnRandomClusters(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let nodeCount = Int.random(in: 1...30, using: &random)
        let nodes = (0..<nodeCount).map { index in
            node(String(format: "n%03d", index),
                 labels: Bool.random(using: &random) ? ["tier": "front"] : [:],
                 state: Int.random(in: 0..<8, using: &random) == 0 ? .down : .ready,
                 availability: [.active, .active, .active, .active, .drain, .pause].randomElement(using: &random)!)
        }
        let load = (0..<Int.random(in: 0...60, using: &random)).map { index in
            running("load.\(index)", service: "load\(index % 3)", on: nodes.randomElement(using: &random)!.id)
        }
        var state = SchedulerState(nodes: nodes, tasks: load)
        let totalsBefore = Dictionary(uniqueKeysWithValues: state.nodes.map { ($0.id, $0.activeTasks) })
        let constrained = Bool.random(using: &random)
        let spec = taskSpec(constraints: constrained ? ["node.labels.tier==front"] : [])
        let eligible = nodes.filter {
            $0.status.state == .ready && $0.spec.availability == .active && (!constrained || $0.spec.labels["tier"] == "front")
        }.map(\.id)
        let count = Int.random(in: 1...80, using: &random)
        let decisions = state.schedule(tasks(count, service: "web", spec: spec))

        #expect(decisions.assignedCount == (eligible.isEmpty ? 0 : count))
        #expect(Set(decisions.perNode.keys).isSubset(of: Set(eligible)))
        guard !eligible.isEmpty else { return }
        let counts = serviceCounts(state, service: "web", nodes: eligible)
        #expect(counts.max()! - counts.min()! <= 1, "seed \(seed)")
        if count < eligible.count {
            let chosen = Set(decisions.perNode.keys)
            let worstChosen = chosen.map { totalsBefore[$0]! }.max()!
            let bestSkipped = eligible.filter { !chosen.contains($0) }.map { totalsBefore[$0]! }.min()!
            #expect(worstChosen <= bestSkipped, "seed \(seed)")
        }
    }
}
