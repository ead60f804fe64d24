import Foundation
import Logging
import ShoalCore
import ShoalEtcd
import ShoalModel
import ShoalOS
import ShoalSimulation
import ShoalTestSupport
import Testing

/// The scale simulation at a small size, in this process: a real leader (etcd, gRPC with mutual TLS) and 20
/// simulated nodes that join with the worker token. Every step must converge with the right counts; nothing here
/// looks at the clock.
@Suite(.serialized) struct SmallSimulationTests {
    @Test func createScaleUpdateAndLoseNodesConverge() async throws {
        try await TestRun.with("sim") { run in
            var parameters = ScenarioParameters()
            parameters.nodes = 20
            parameters.tasks = 400
            parameters.services = 4
            parameters.scaledServices = 1
            parameters.updatedServices = 1
            parameters.updateParallelism = 20
            parameters.lostNodes = 3
            parameters.nodesPerGroup = 10
            parameters.heartbeatPeriod = 1
            parameters.stepTimeout = 120
            // Three ports (control, etcd client, etcd peer), away from other tests' ports.
            parameters.controlPort = 46000 + Int(ShortHash.fnv1a(run.name("p")) % 1000) * 3
            let root = run.path("sim")
            run.onCleanup("etcd of the simulated leader") {
                _ = try? await runBlocking {
                    EtcdSupervisor.stopLeftoverMember(dataDirectory: root + "/leader/swarm/etcd")
                }
            }
            let host = InProcessNodeHost(root: root + "/nodes", logger: Logger(label: "sim-test"))
            run.onCleanup("simulated nodes") { await host.stop() }
            let report = try await Scenario(parameters: parameters, root: root, host: host,
                                            logger: Logger(label: "sim-test")).run()

            #expect(report.steps.map(\.name) == ["join", "create", "scale", "rolling-update", "node-loss-detect",
                                                  "node-loss-reschedule"])
            let create = try #require(report.step("create")?.convergence)
            #expect(create.desired == 400 && create.running == 400)
            // One service 100 → 150, one 100 → 50.
            #expect(report.step("scale")?.tasks == 100)
            #expect(report.step("scale")?.convergence?.running == 400)
            #expect(report.step("rolling-update")?.tasks == 100)
            #expect(report.step("rolling-update")?.convergence?.running == 400)
            // Three nodes of twenty held some of the 400 tasks; they all run on the other seventeen now.
            let lost = try #require(report.step("node-loss-reschedule"))
            #expect(lost.tasks > 0)
            #expect(lost.convergence?.running == 400 && lost.convergence?.waiting == 0)
            #expect((report.step("create")?.dispatcherReceived ?? 0) > 0)
            #expect((report.etcdDBBytes ?? 0) > 0)
        }
    }

    @Test func convergenceCountsOnlyCurrentTasksOnReadyNodes() {
        let template = TaskSpec(containerSpec: TaskContainerSpec(image: "a:1"))
        let service = SwarmService(id: "s", version: 1, createdAt: Date(), updatedAt: Date(),
                                   spec: ServiceSpec(name: "s", taskTemplate: template, mode: .replicated(replicas: 3)))
        func task(_ id: String, node: String, state: TaskState, image: String = "a:1") -> SwarmTask {
            SwarmTask(id: id, createdAt: Date(), serviceID: "s", nodeID: node,
                      spec: TaskSpec(containerSpec: TaskContainerSpec(image: image)),
                      status: TaskStatus(timestamp: Date(), state: state, message: ""))
        }
        let tasks = [task("1", node: "n1", state: .running), task("2", node: "n2", state: .running),
                     task("3", node: "n3", state: .running)]
        #expect(Convergence.of(services: [service], tasks: tasks, readyNodes: ["n1", "n2", "n3"]).converged)
        // n3 is down: its task does not count.
        let down = Convergence.of(services: [service], tasks: tasks, readyNodes: ["n1", "n2"])
        #expect(!down.converged && down.running == 2 && down.waiting == 1)
        // An old template still running does not count either.
        let old = Convergence.of(services: [service], tasks: Array(tasks.prefix(2)) + [task("4", node: "n3", state: .running, image: "a:0")],
                                 readyNodes: ["n1", "n2", "n3"])
        #expect(!old.converged && old.waiting == 1)
    }
}
