/// Each filter on its own and together, with the "no suitable node (…)" texts `docker service ps` shows.
import ShoalModel
import Testing
@testable import ShoalScheduler

@Suite struct FilterTests {
    @Test func constraintsNotSatisfied() {
        var state = SchedulerState(nodes: [node("a"), node("b"), node("c")])
        let decisions = state.schedule(tasks(2, spec: taskSpec(constraints: ["node.labels.zone==east"])))
        #expect(decisions.reasons == Array(repeating: "no suitable node (scheduling constraints not satisfied on 3 nodes)", count: 2))
    }

    @Test func nodesNotAvailableWhenDownDrainedPausedOrNotReady() {
        let nodes = [node("a", state: .down), node("b", availability: .drain), node("c", availability: .pause),
                     node("d", state: .unknown), node("e", state: .disconnected)]
        var state = SchedulerState(nodes: nodes)
        #expect(state.schedule(tasks(1)).reasons == ["no suitable node (5 nodes not available for new tasks)"])
        state.upsertNode(node("f"))
        #expect(state.schedule(tasks(3, service: "web")).perNode == ["f": 3])
    }

    @Test func oneNodeIsSingular() {
        var state = SchedulerState(nodes: [node("a", availability: .drain)])
        #expect(state.schedule(tasks(1)).reasons == ["no suitable node (1 node not available for new tasks)"])
    }

    @Test func insufficientResources() {
        var state = SchedulerState(nodes: [node("a", cpus: 2, memory: 4 * gib), node("b", cpus: 2, memory: 4 * gib)])
        let big = taskSpec(reserveMemory: 5 * gib)
        #expect(state.schedule(tasks(1, spec: big)).reasons == ["no suitable node (insufficient resources on 2 nodes)"])
        // Reservations add up: 3 × 1 CPU fit on two 2-CPU nodes only 4 times.
        let decisions = state.schedule(tasks(5, service: "cpu", spec: taskSpec(reserveCPU: cpu)))
        #expect(decisions.perNode == ["a": 2, "b": 2])
        #expect(decisions.reasons == ["no suitable node (insufficient resources on 2 nodes)"])
        #expect(state.nodeInfo(id: "a")?.available.nanoCPUs == 0)
    }

    @Test func unsupportedPlatform() {
        var state = SchedulerState(nodes: [node("x", architecture: "x86_64"), node("arm", architecture: "aarch64"),
                                           node("win", os: "windows", architecture: "amd64")])
        let arm = taskSpec(platforms: [Platform(architecture: "arm64", os: "linux")])
        #expect(state.schedule(tasks(2, service: "arm", spec: arm)).perNode == ["arm": 2])
        let amd = taskSpec(platforms: [Platform(architecture: "amd64", os: "linux")])
        #expect(state.schedule(tasks(2, service: "amd", spec: amd)).perNode == ["x": 2])
        let anyOS = taskSpec(platforms: [Platform(architecture: "amd64")])
        #expect(state.schedule(tasks(2, service: "any", spec: anyOS)).perNode == ["x": 1, "win": 1])
        let s390 = taskSpec(platforms: [Platform(architecture: "s390x", os: "linux")])
        #expect(state.schedule(tasks(1, service: "z", spec: s390)).reasons == ["no suitable node (unsupported platform on 3 nodes)"])
    }

    @Test func missingLogDriverPlugin() {
        var withSyslog = node("a")
        withSyslog.description.plugins = [EnginePlugin(kind: "Log", name: "json-file"), EnginePlugin(kind: "Log", name: "syslog")]
        var without = node("b")
        without.description.plugins = [EnginePlugin(kind: "Log", name: "json-file"), EnginePlugin(kind: "Volume", name: "syslog")]
        var latest = node("c")
        latest.description.plugins = [EnginePlugin(kind: "Log", name: "syslog:latest")]
        // An engine that lists no log drivers is given the benefit of the doubt.
        var silent = node("d")
        silent.description.plugins = [EnginePlugin(kind: "Network", name: "bridge")]
        var state = SchedulerState(nodes: [withSyslog, without, latest, silent])
        var spec = taskSpec()
        spec.logDriver = LogDriver(name: "syslog")
        #expect(state.schedule(tasks(3, spec: spec)).perNode == ["a": 1, "c": 1, "d": 1])
        spec.logDriver = LogDriver(name: "fluentd")
        #expect(state.schedule(tasks(1, service: "f", spec: spec)).perNode == ["d": 1])
        state.upsertNode(node("d", availability: .drain))
        #expect(state.schedule(tasks(1, service: "g", spec: spec)).reasons ==
            ["no suitable node (missing plugin on 3 nodes; 1 node not available for new tasks)"])
    }

    @Test func hostModePortsConflictPerNode() {
        var state = SchedulerState(nodes: [node("a"), node("b")])
        let decisions = state.schedule(tasks(3, service: "web", hostPorts: [8080]))
        #expect(decisions.perNode == ["a": 1, "b": 1])
        #expect(decisions.reasons == ["no suitable node (host-mode port already in use on 2 nodes)"])
        // Another service on the same port is refused too; another port or protocol is fine.
        #expect(state.schedule(tasks(1, service: "other", hostPorts: [8080])).assignedCount == 0)
        #expect(state.schedule(tasks(2, service: "alt", hostPorts: [8081])).perNode == ["a": 1, "b": 1])
        var udp = task("udp.1", service: "udp")
        udp.endpoint = EndpointSpec(ports: [PortConfig(protocol: .udp, targetPort: 53, publishedPort: 8080, publishMode: .host)])
        #expect(state.schedule([udp]).assignedCount == 1)
        // Ingress ports and host ports left to the engine (0) take nothing on the node.
        var ingress = task("in.1", service: "in")
        ingress.endpoint = EndpointSpec(ports: [PortConfig(targetPort: 80, publishedPort: 8080),
                                                PortConfig(targetPort: 80, publishedPort: 0, publishMode: .host)])
        #expect(state.schedule([ingress]).assignedCount == 1)
    }

    @Test func hostPortIsFreedWhenItsTaskEnds() {
        var state = SchedulerState(nodes: [node("a")])
        let first = state.schedule(tasks(1, service: "web", hostPorts: [80]))
        #expect(first.perNode == ["a": 1])
        #expect(state.schedule([task("web.2", service: "web", hostPorts: [80])]).assignedCount == 0)
        var ended = task("web.1", service: "web", hostPorts: [80], nodeID: "a", state: .failed)
        ended.desiredState = .shutdown
        state.observe(ended)
        #expect(state.schedule([task("web.3", service: "web", hostPorts: [80])]).perNode == ["a": 1])
    }

    @Test func maxReplicasPerNode() {
        var state = SchedulerState(nodes: [node("a"), node("b"), node("c")])
        let decisions = state.schedule(tasks(7, spec: taskSpec(maxReplicas: 2)))
        #expect(decisions.perNode == ["a": 2, "b": 2, "c": 2])
        #expect(decisions.reasons == ["no suitable node (max replicas per node limit exceed)"])
        // The limit is per service: another service still fits.
        #expect(state.schedule(tasks(3, service: "other", spec: taskSpec(maxReplicas: 1))).assignedCount == 3)
    }

    @Test func explanationListsMostFailuresFirstThenPipelineOrder() {
        let nodes = [node("down", state: .down), node("a", labels: ["zone": "west"]), node("b", labels: ["zone": "west"])]
        var state = SchedulerState(nodes: nodes)
        let spec = taskSpec(constraints: ["node.labels.zone==east"])
        #expect(state.schedule(tasks(1, spec: spec)).reasons ==
            ["no suitable node (scheduling constraints not satisfied on 2 nodes; 1 node not available for new tasks)"])
        // Equal counts keep the pipeline's order: readiness, resources, constraints …
        var tied = SchedulerState(nodes: [node("d", availability: .drain), node("w", labels: ["zone": "west"])])
        #expect(tied.schedule(tasks(1, spec: spec)).reasons ==
            ["no suitable node (1 node not available for new tasks; scheduling constraints not satisfied on 1 node)"])
        // A node is charged to the first filter it fails only.
        var first = SchedulerState(nodes: [node("d", availability: .drain, cpus: 1), node("s", cpus: 1)])
        let heavy = taskSpec(constraints: ["node.labels.zone==east"], reserveCPU: 2 * cpu)
        #expect(first.schedule(tasks(1, spec: heavy)).reasons ==
            ["no suitable node (1 node not available for new tasks; insufficient resources on 1 node)"])
    }

    @Test func explanationCountsTheClusterAfterTheGroupFilledIt() {
        var state = SchedulerState(nodes: [node("a"), node("b"), node("drained", availability: .drain)])
        let decisions = state.schedule(tasks(3, spec: taskSpec(maxReplicas: 1)))
        #expect(decisions.reasons == ["no suitable node (max replicas per node limit exceed; 1 node not available for new tasks)"])
    }

    @Test func anEmptyClusterHasNoExplanation() {
        var state = SchedulerState()
        #expect(state.schedule(tasks(1)).reasons == ["no suitable node"])
    }

    @Test func filtersWithNothingToCheckAreOff() {
        let requirements = TaskRequirements(task("t"))
        #expect(requirements.enabled == [.ready])
        var full = task("u", spec: taskSpec(constraints: ["node.id==x"], maxReplicas: 1, platforms: [Platform(os: "linux")],
                                            reserveCPU: 1), hostPorts: [80])
        full.serviceID = "s"
        full.spec.logDriver = LogDriver(name: "syslog")
        #expect(TaskRequirements(full).enabled == SchedulingFilter.allCases)
        var none = task("v")
        none.spec.logDriver = LogDriver(name: "none")
        #expect(TaskRequirements(none).enabled == [.ready])
    }
}
