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
        let view = StoreView()
        try await view.start(leader)
        defer { Task { await view.stop() } }

        // Join.
        var step = await meter.begin("join")
        try await host.start(parameters.groups, manager: address, token: token)
        var poll = try await waitFor("join", view) { nodes, _ in
            nodes.values.filter { $0.spec.role == .worker && $0.status.state == .ready }.count == parameters.nodes
        }
        report.steps.append(await meter.end(step, poll, tasks: 0))

        // Create.
        let template = TaskSpec(containerSpec: TaskContainerSpec(image: "sim/app:1"))
        step = await meter.begin("create")
        let createStart = ContinuousClock.now
        // As many clients would ask, all at once (one after the other, the last asked a minute after the first
        // while the leader placed the first ones' tasks).
        let shape = parameters
        let ids = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<shape.services {
                group.addTask {
                    let service = try await leader.createService(ServiceSpec(
                        name: String(format: "svc-%03d", index), taskTemplate: template,
                        mode: .replicated(replicas: UInt64(shape.replicas(ofService: index)))))
                    return (index, service.id)
                }
            }
            var created: [(Int, String)] = []
            for try await entry in group { created.append(entry) }
            return created.sorted { $0.0 < $1.0 }.map(\.1)
        }
        say("create: the \(ids.count) services were created after \(ContinuousClock.now - createStart)")
        var (reached, polled) = try await converge("create", view)
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
        (reached, polled) = try await converge("scale", view)
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
        (reached, polled) = try await converge("rolling-update", view)
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
        poll = try await waitFor("node-loss-detect", view) { nodes, _ in
            lostIDs.allSatisfy { nodes[$0]?.status.state == .down }
        }
        report.steps.append(await meter.end(step, poll, tasks: 0))
        step = await meter.begin("node-loss-reschedule")
        (reached, polled) = try await converge("node-loss-reschedule", view)
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
    private func converge(_ name: String, _ view: StoreView) async throws -> (Convergence, Poll) {
        var reached = Convergence()
        let poll = try await waitFor(name, view) { _, counts in
            reached = counts
            return counts.converged
        }
        return (reached, poll)
    }

    /// Looks at the store's view every `Poll.interval` until `done`. The view follows the store's watches, so
    /// the step ends within an interval (and the watch's delay) of the commit that finished it.
    private func waitFor(_ name: String, _ view: StoreView,
                         _ done: ([String: SwarmNode], Convergence) -> Bool) async throws -> Poll {
        let start = ContinuousClock.now
        let applying = await view.applying
        var lastSaid = start
        var previous = start
        var placed: ContinuousClock.Instant?
        while true {
            let (nodes, counts, loaded) = (await view.nodes, await view.convergence(), await view.isLoaded)
            let seen = ContinuousClock.now
            if loaded, placed == nil, counts.desired > 0, counts.allPlaced { placed = seen }
            if loaded, done(nodes, counts) {
                return Poll(seen: seen, resolution: seen - previous, reading: await view.applying - applying,
                            placed: placed)
            }
            previous = seen
            if seen - lastSaid > .seconds(5) {
                lastSaid = seen
                let ready = nodes.values.filter { $0.status.state == .ready }.count
                let rss = (ProcessUsage.current?.rssBytes ?? 0) >> 20
                say("\(name): \(seen - start) \(ready) nodes ready, \(counts); leader RSS \(rss) MiB, "
                    + "\(DispatcherCounters.backlog) session messages not written yet")
            }
            if seen - start > .seconds(parameters.stepTimeout) {
                throw ShoalError(.unavailable, "simulation: \(name) did not converge in \(parameters.stepTimeout) s")
            }
            try await Task.sleep(for: Poll.interval)
        }
    }
}

/// When a step was seen done, how precisely, and the driver's time spent following the store for it.
struct Poll: Sendable {
    static let interval: Duration = .milliseconds(20)

    var seen: ContinuousClock.Instant
    var resolution: Duration
    var reading: Duration
    /// When every replica was first seen placed (steps that wait for tasks).
    var placed: ContinuousClock.Instant? = nil
}
