import Foundation
import Logging
import ShoalCore
import ShoalManager
import ShoalModel

/// The control plane's scale run (issue 12): a real leader in this process (`swarm init`: its etcd member,
/// allocator, orchestrators, scheduler, dispatcher and node health), simulated nodes on a `NodeHost`, and the
/// steps, each timed until it converges (`Convergence`): join, create, scale, a rolling update, the loss of a
/// group of nodes. Services are created and changed through `SwarmMembership`, the calls the Docker API makes.
public struct Scenario: Sendable {
    public let parameters: ScenarioParameters
    public let root: String
    public let host: any NodeHost
    let logger: Logger
    /// Progress lines (the benchmark's log).
    let say: @Sendable (String) -> Void

    public init(parameters: ScenarioParameters, root: String, host: any NodeHost, logger: Logger,
                say: @escaping @Sendable (String) -> Void = { _ in }) {
        self.parameters = parameters
        self.root = root
        self.host = host
        self.logger = logger
        self.say = say
    }

    /// Runs every step; the leader leaves and the nodes stop at the end, also on failure.
    public func run() async throws -> SimulationReport {
        let leader = SwarmMembership(dataRoot: root + "/leader",
                                     description: SimulatedNodes.description("sim-leader"), logger: logger)
        var report = SimulationReport(parameters: parameters)
        do {
            try await steps(leader, &report)
        } catch {
            // In a task of its own: a cancelled run (Ctrl-C) still stops everything it started.
            let host = self.host
            await Task {
                await host.stop()
                try? await leader.leave(force: true)
            }.value
            throw error
        }
        await host.stop()
        try await leader.leave(force: true)
        return report
    }

    private func steps(_ leader: SwarmMembership, _ report: inout SimulationReport) async throws {
        let address = "127.0.0.1:\(parameters.controlPort)"
        var spec = SwarmSpec()
        spec.heartbeatPeriod = parameters.heartbeatPeriod
        _ = try await leader.initialize(SwarmInitRequest(listenAddress: address, advertiseAddress: address, spec: spec))
        // The leader runs no tasks (as Swarm2K's managers): drained, it is only the control plane.
        let own = try await leader.node("self")
        var drained = own.spec
        drained.availability = .drain
        try await leader.updateNode(own.id, version: own.version, spec: drained)
        let token = try await leader.inspect().joinTokens.worker
        let meter = StepMeter(leaderEtcd: root + "/leader/swarm/etcd", host: host)

        // Join.
        var step = await meter.begin("join")
        try await host.start(parameters.groups, manager: address, token: token)
        var poll = try await waitFor("join", leader) { nodes, _, _ in
            nodes.filter { $0.spec.role == .worker && $0.status.state == .ready }.count == parameters.nodes
        }
        report.steps.append(await meter.end(step, poll, tasks: 0))

        // Create.
        let template = TaskSpec(containerSpec: TaskContainerSpec(image: "sim/app:1"))
        step = await meter.begin("create")
        var ids: [String] = []
        for index in 0..<parameters.services {
            let service = try await leader.createService(ServiceSpec(
                name: String(format: "svc-%03d", index), taskTemplate: template,
                mode: .replicated(replicas: UInt64(parameters.replicas(ofService: index)))))
            ids.append(service.id)
        }
        var (reached, polled) = try await converge("create", leader)
        report.steps.append(await meter.end(step, polled, tasks: parameters.tasks, convergence: reached))

        // Scale: the first services up by half, the next as many down by half.
        let scaled = min(parameters.scaledServices, ids.count / 2)
        step = await meter.begin("scale")
        var moved = 0
        for index in 0..<(2 * scaled) {
            let service = try await leader.service(ids[index])
            guard case .replicated(let replicas) = service.spec.mode else { continue }
            let change = Int(replicas) / 2
            var changed = service.spec
            changed.mode = .replicated(replicas: index < scaled ? replicas + UInt64(change) : replicas - UInt64(change))
            _ = try await leader.updateService(service.id, version: service.version, spec: changed)
            moved += change
        }
        (reached, polled) = try await converge("scale", leader)
        report.steps.append(await meter.end(step, polled, tasks: moved, convergence: reached))

        // Rolling update of services the scale left alone.
        let updated = ids.dropFirst(2 * scaled).prefix(parameters.updatedServices)
        step = await meter.begin("rolling-update")
        var replaced = 0
        for id in updated {
            let service = try await leader.service(id)
            var changed = service.spec
            changed.taskTemplate.containerSpec.image = "sim/app:2"
            changed.updateConfig = UpdateConfig(parallelism: parameters.updateParallelism)
            _ = try await leader.updateService(service.id, version: service.version, spec: changed)
            if case .replicated(let replicas) = service.spec.mode { replaced += Int(replicas) }
        }
        (reached, polled) = try await converge("rolling-update", leader)
        report.steps.append(await meter.end(step, polled, tasks: replaced, convergence: reached))

        // Loss of the first group: timed from the moment all its nodes are Down to every task running elsewhere.
        guard parameters.lostNodes > 0 else { return await finish(meter, &report) }
        let lost = Set(parameters.groups[0])
        let tasks = try await leader.tasks()
        let nodes = try await leader.nodes()
        let lostIDs = Set(nodes.filter { lost.contains($0.description.hostname) }.map(\.id))
        let stranded = tasks.filter { lostIDs.contains($0.nodeID) && $0.desiredState == .running }.count
        step = await meter.begin("node-loss-detect")
        await host.lose(group: 0)
        poll = try await waitFor("node-loss-detect", leader) { nodes, _, _ in
            nodes.filter { lostIDs.contains($0.id) && $0.status.state == .down }.count == lostIDs.count
        }
        report.steps.append(await meter.end(step, poll, tasks: 0))
        step = await meter.begin("node-loss-reschedule")
        (reached, polled) = try await converge("node-loss-reschedule", leader)
        report.steps.append(await meter.end(step, polled, tasks: stranded, convergence: reached))
        await finish(meter, &report)
    }

    private func finish(_ meter: StepMeter, _ report: inout SimulationReport) async {
        report.leader = ProcessUsage.current
        report.etcd = await meter.etcdUsage()
        report.etcdDBBytes = await meter.etcdDBSize()
        report.nodeProcesses = await host.usage()
    }

    /// Waits until every service's replicas run (see `Convergence`); returns the counts then.
    private func converge(_ name: String, _ leader: SwarmMembership) async throws -> (Convergence, Poll) {
        var reached = Convergence()
        let poll = try await waitFor(name, leader) { nodes, services, tasks in
            let ready = Set(nodes.filter { $0.status.state == .ready }.map(\.id))
            reached = Convergence.of(services: services, tasks: tasks, readyNodes: ready)
            return reached.converged
        }
        return (reached, poll)
    }

    /// Polls the leader's store until `done`. The step ends when the read that saw it done started (the tasks'
    /// read, the last); it ended at most `Poll.resolution` before. Each pause is as long as the last read took
    /// (at least 100 ms), so the driver's reads, in the leader's process, take at most half of its time; three
    /// times as long while more than a tenth of the replicas are still to come (a 100,000-task read is work for
    /// the store too).
    private func waitFor(_ name: String, _ leader: SwarmMembership,
                         _ done: ([SwarmNode], [SwarmService], [SwarmTask]) -> Bool) async throws -> Poll {
        let start = ContinuousClock.now
        var lastSaid = start
        var previous = start
        var reading = Duration.zero
        while true {
            let readStart = ContinuousClock.now
            let nodes: [SwarmNode], services: [SwarmService], tasks: [SwarmTask], seen: ContinuousClock.Instant
            do {
                nodes = try await leader.nodes()
                services = try await leader.services()
                seen = ContinuousClock.now
                tasks = try await leader.tasks()
            } catch let error as ShoalError where error.code == .unavailable {
                // A read of a large table on a busy store can miss its deadline: the next poll tries again.
                say("\(name): read failed (\(error.message)), again")
                reading += ContinuousClock.now - readStart
                if ContinuousClock.now - start > .seconds(parameters.stepTimeout) { throw error }
                continue
            }
            let read = ContinuousClock.now - readStart
            reading += read
            if done(nodes, services, tasks) {
                return Poll(seen: seen, resolution: seen - previous, reading: reading)
            }
            previous = seen
            let now = ContinuousClock.now
            if now - lastSaid > .seconds(5) {
                lastSaid = now
                let ready = Set(nodes.filter { $0.status.state == .ready }.map(\.id))
                say("\(name): \(now - start) \(ready.count) nodes ready, "
                    + "\(Convergence.of(services: services, tasks: tasks, readyNodes: ready)) (read \(read))")
            }
            if now - start > .seconds(parameters.stepTimeout) {
                throw ShoalError(.unavailable, "simulation: \(name) did not converge in \(parameters.stepTimeout) s")
            }
            let ready = Set(nodes.filter { $0.status.state == .ready }.map(\.id))
            let counts = Convergence.of(services: services, tasks: tasks, readyNodes: ready)
            let far = counts.desired > 0 && counts.running < counts.desired * 9 / 10
            try await Task.sleep(for: max(.milliseconds(100), far ? read * 3 : read))
        }
    }
}

/// When a polled step was seen done, how precisely, and the driver's time spent reading the store for it.
struct Poll: Sendable {
    var seen: ContinuousClock.Instant
    var resolution: Duration
    var reading: Duration
}
