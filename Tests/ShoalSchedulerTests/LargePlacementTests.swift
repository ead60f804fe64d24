/// One big batch: 100,000 tasks of ten services over 1,000 nodes, some nodes unavailable and some loaded. No
/// timing assertion (timings depend on the machine); the elapsed time is printed for the record.
import ShoalCore
import ShoalModel
import Testing
@testable import ShoalScheduler

@Suite struct LargePlacementTests {
    @Test func hundredThousandTasksOverAThousandNodes() {
        var random = SeededGenerator(seed: 42)
        let nodes = (0..<1000).map { index in
            node("node-\(index)", labels: ["zone": "z\(index % 3)"],
                 availability: index % 100 == 0 ? .drain : .active)
        }
        let load = (0..<2000).map { running("load.\($0)", service: "load", on: "node-\(Int.random(in: 0..<1000, using: &random))") }
        var state = SchedulerState(nodes: nodes, tasks: load)
        let services = (0..<10).map { "svc\($0)" }
        let batch = services.flatMap { service in
            (0..<10_000).map { task("\(service).\($0)", service: service) }
        }

        let clock = ContinuousClock()
        let start = clock.now
        let decisions = state.schedule(batch)
        let elapsed = clock.now - start
        print("ShoalScheduler: placed \(decisions.assignedCount) tasks over \(nodes.count) nodes in \(elapsed)")

        #expect(decisions.count == 100_000 && decisions.assignedCount == 100_000)
        let eligible = nodes.filter { $0.spec.availability == .active }.map(\.id)
        #expect(eligible.count == 990)
        for service in services {
            let counts = serviceCounts(state, service: service, nodes: eligible)
            #expect(counts.max()! - counts.min()! <= 1, "\(service)")
        }
        let drained = Set(nodes.filter { $0.spec.availability == .drain }.map(\.id))
        #expect(decisions.perNode.keys.allSatisfy { !drained.contains($0) })
    }

    @Test func aThousandServicesOfAHundredWithPreferences() {
        let nodes = (0..<1000).map { node("node-\($0)", labels: ["zone": "z\($0 % 7)"]) }
        var state = SchedulerState(nodes: nodes)
        let spec = taskSpec(preferences: ["node.labels.zone"])
        let batch = (0..<1000).flatMap { service in (0..<100).map { task("s\(service).\($0)", service: "s\(service)", spec: spec) } }
        let clock = ContinuousClock()
        let start = clock.now
        let decisions = state.schedule(batch)
        print("ShoalScheduler: placed \(decisions.assignedCount) tasks of 1,000 services with a preference in \(clock.now - start)")
        #expect(decisions.assignedCount == 100_000)
        let totals = state.nodes.map(\.activeTasks)
        #expect(totals.max()! - totals.min()! <= 2)
    }
}
