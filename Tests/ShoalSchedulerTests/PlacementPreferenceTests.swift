/// `--placement-pref spread=…`: tasks spread over the values of a label first, nested in the order given, and
/// only then over the nodes of each value.
import ShoalCore
import ShoalModel
import Testing
@testable import ShoalScheduler

@Suite struct PlacementPreferenceTests {
    private func zoneCounts(_ state: SchedulerState, service: String, label: String = "zone") -> [String: Int] {
        state.nodes.reduce(into: [:]) { counts, info in
            counts[info.node.spec.labels[label] ?? "", default: 0] += info.activeTasks(ofService: service)
        }
    }

    @Test func spreadsOverLabelValuesWhateverTheirSize() {
        // Two nodes in east, four in west, one without the label: three values, three tasks each.
        let nodes = [node("e1", labels: ["zone": "east"]), node("e2", labels: ["zone": "east"])]
            + (1...4).map { node("w\($0)", labels: ["zone": "west"]) } + [node("x")]
        var state = SchedulerState(nodes: nodes)
        let decisions = state.schedule(tasks(9, spec: taskSpec(preferences: ["node.labels.zone"])))
        #expect(decisions.assignedCount == 9)
        #expect(zoneCounts(state, service: "svc") == ["east": 3, "west": 3, "": 3])
        #expect(decisions.perNode["x"] == 3)
        #expect(serviceCounts(state, service: "svc", nodes: ["w1", "w2", "w3", "w4"]).sorted() == [0, 1, 1, 1])
    }

    @Test func existingTasksCountPerValue() {
        let nodes = [node("e1", labels: ["zone": "east"]), node("w1", labels: ["zone": "west"])]
        let existing = (1...3).map { running("svc.old\($0)", service: "svc", on: "e1") }
        var state = SchedulerState(nodes: nodes, tasks: existing)
        _ = state.schedule(tasks(5, spec: taskSpec(preferences: ["node.labels.zone"])))
        #expect(zoneCounts(state, service: "svc") == ["east": 4, "west": 4])
    }

    @Test func aValueWithNoRoomLeavesTheRestToTheOthers() {
        let nodes = [node("e1", labels: ["zone": "east"], cpus: 1), node("w1", labels: ["zone": "west"]),
                     node("w2", labels: ["zone": "west"])]
        var state = SchedulerState(nodes: nodes)
        let decisions = state.schedule(tasks(6, spec: taskSpec(preferences: ["node.labels.zone"], reserveCPU: cpu)))
        #expect(decisions.assignedCount == 6)
        #expect(zoneCounts(state, service: "svc") == ["east": 1, "west": 5])
    }

    @Test func valuesWhoseNodesAreAllIneligibleAreSkipped() {
        let nodes = [node("e1", labels: ["zone": "east"], availability: .drain), node("w1", labels: ["zone": "west"])]
        var state = SchedulerState(nodes: nodes)
        let decisions = state.schedule(tasks(3, spec: taskSpec(preferences: ["node.labels.zone"])))
        #expect(decisions.perNode == ["w1": 3])
    }

    @Test func preferencesNestInTheOrderGiven() {
        // dc1 has racks a and b, dc2 only rack a: half the tasks per dc, dc1's half split over its racks.
        let nodes = [node("1a1", labels: ["dc": "1", "rack": "a"]), node("1a2", labels: ["dc": "1", "rack": "a"]),
                     node("1b1", labels: ["dc": "1", "rack": "b"]), node("2a1", labels: ["dc": "2", "rack": "a"])]
        var state = SchedulerState(nodes: nodes)
        let spec = taskSpec(preferences: ["node.labels.dc", "node.labels.rack"])
        let decisions = state.schedule(tasks(8, spec: spec))
        #expect(decisions.perNode["2a1"] == 4)
        #expect(decisions.perNode["1b1"] == 2)
        #expect(decisions.perNode["1a1"] == 1 && decisions.perNode["1a2"] == 1)
    }

    @Test func engineLabelsWorkAndOtherDescriptorsAreIgnored() {
        let nodes = [node("a", engineLabels: ["rack": "r1"]), node("b", engineLabels: ["rack": "r1"]),
                     node("c", engineLabels: ["rack": "r2"])]
        var state = SchedulerState(nodes: nodes)
        let decisions = state.schedule(tasks(4, spec: taskSpec(preferences: ["node.hostname", "engine.labels.rack"])))
        #expect(decisions.perNode["c"] == 2)
        #expect(decisions.perNode["a"] == 1 && decisions.perNode["b"] == 1)
    }

    @Test func labelPrefixIsCaseInsensitiveAndValuesAreExact() {
        let nodes = [node("a", labels: ["zone": "East"]), node("b", labels: ["zone": "east"])]
        var state = SchedulerState(nodes: nodes)
        _ = state.schedule(tasks(4, spec: taskSpec(preferences: ["Node.Labels.zone"])))
        #expect(zoneCounts(state, service: "svc") == ["East": 2, "east": 2])
    }

    @Test func evenOverValuesOnRandomClusters() {
        for seed in UInt64(0)..<20 {
            var random = SeededGenerator(seed: seed)
            let zones = ["a", "b", "c", "d"].prefix(Int.random(in: 1...4, using: &random))
            let nodes = (0..<Int.random(in: 1...25, using: &random)).map {
                node("n\($0)", labels: ["zone": zones.randomElement(using: &random)!])
            }
            var state = SchedulerState(nodes: nodes)
            let count = Int.random(in: 1...60, using: &random)
            _ = state.schedule(tasks(count, spec: taskSpec(preferences: ["node.labels.zone"])))
            let perZone = zoneCounts(state, service: "svc")
            #expect(perZone.values.max()! - perZone.values.min()! <= 1, "seed \(seed)")
            #expect(perZone.values.reduce(0, +) == count)
        }
    }
}
