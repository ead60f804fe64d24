import Foundation
import Logging
import ShoalAllocator
import ShoalCA
import ShoalClusterProto
import ShoalClusterStore
import ShoalCore
import ShoalIPAM
import ShoalModel
import ShoalScheduler

/// The leader's task pipeline for one term (DESIGN §4b): every change to services, tasks, nodes or networks, and
/// every time an orchestrator asked to be woken (a restart delay or an update's pause ends), runs one round:
///
///   orchestrators (tasks to create, stop, replace, trim) → allocator (new → pending: task addresses, VIPs)
///   → scheduler (pending → assigned to a node) → assignment feed (what each node session is told)
///
/// The round reads the tasks once (the orchestrators' read, their own commits applied); the allocator and the
/// scheduler then store each task they change once, allocated and placed together, in transactions of many tasks
/// (each task's own compare-and-swap), fenced by the term; a conflict only means another round. Changes that
/// arrive during a round make one more round, however many they are. At 100,000 tasks a round's cost is its
/// writes: every read or write of the whole table saved is a second or more of the store's time.
actor TaskPipeline {
    let objects: SwarmObjects
    private let fence: LeaderFence
    private let orchestrator: ServiceOrchestrator
    let allocator: NetworkAllocatorService
    private let endpoints: EndpointFeed
    /// A secret's or config's payload, opened by the leader (only the nodes whose tasks use it get it).
    private let payload: @Sendable (DataObjectKind, String) async throws -> [UInt8]
    /// Opens the services' registry credentials (only the nodes that run their tasks get them).
    private let dataKey: ClusterDataKey?
    let assignments = AssignmentFeed()
    private let logger: Logger
    let tasks: StoreTable<TaskMessage>
    let services: StoreTable<ServiceMessage>
    let networks: StoreTable<SwarmNetwork>
    private let wakes: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation
    private var running: [Task<Void, Never>] = []
    private var alarm: Task<Void, Never>?
    /// The task table, kept by its watch (the rounds start from it rather than from a read of the whole table).
    private let mirror: TaskMirror
    /// The pipeline's last task writes: the mirror must show them before a round starts from it.
    var written = TaskWrites()
    /// The version of every task as the last round told the node sessions of it.
    private var published: [String: UInt64] = [:]
    /// What this round's allocation and placement know (read on first need; see `PlacementRound`).
    var placement: PlacementRound?

    /// A round that failed is tried again after this pause (a store hiccup, a conflict on every try).
    static let retryPause: Duration = .milliseconds(200)

    init(objects: SwarmObjects, fence: LeaderFence, allocator: NetworkAllocatorService, endpoints: EndpointFeed,
         dataKey: ClusterDataKey? = nil, logger: Logger,
         payload: @escaping @Sendable (DataObjectKind, String) async throws -> [UInt8]) {
        self.payload = payload
        self.dataKey = dataKey
        self.objects = objects
        self.fence = fence
        self.allocator = allocator
        self.endpoints = endpoints
        self.logger = logger
        orchestrator = ServiceOrchestrator(objects: objects, fence: fence)
        tasks = StoreTable(objects.store)
        services = StoreTable(objects.store)
        networks = StoreTable(objects.store)
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        (self.wakes, self.wake) = (wakes, wake)
        mirror = TaskMirror(tasks) { wake.yield() }
    }

    /// Follows the tables and runs rounds until `stop`.
    func start() async {
        guard running.isEmpty else { return }
        await mirror.start()
        let wake = self.wake
        running = [
            Self.follow(services, wake: wake),
            Self.follow(StoreTable<Shoal_Cluster_V1_Node>(objects.store), wake: wake), Self.follow(networks, wake: wake),
            Task { [wakes] in
                for await _ in wakes { await self.round() }
            },
        ]
        wake.yield()
    }

    func stop() async {
        for task in running { task.cancel() }
        alarm?.cancel()
        await mirror.stop()
        wake.finish()
        running = []
        await assignments.finish()
    }

    private func round() async {
        let now = Date()
        let clock = ContinuousClock()
        let start = clock.now
        var times: [Duration] = []
        do {
            placement = nil
            written.record(await orchestrator.written)
            let read = await mirror.read(showing: written)
            if read == nil { logger.debug("task pipeline: the task mirror is behind, the round reads the table") }
            let (next, reconciled) = try await orchestrator.reconcileRound(
                now: now, read: read?.tasks, changedServices: read?.changedServices, prepare: { made, read in
                try await self.prepare(made, read: read, now: now)
            })
            times.append(clock.now - start)
            // A step that met a conflict leaves the rest to the next round (already asked for).
            let allocated = try await allocate(reconciled, now: now)
            times.append(clock.now - start)
            if let placed = try await schedule(allocated, now: now) {
                times.append(clock.now - start)
                try await publish(placed, services: allocated.services, networks: allocated.networks)
                times.append(clock.now - start)
            }
            // Where a round's time goes, for scale runs (`shoal simulate --log-level debug`).
            let phases = await orchestrator.lastRoundTimes
            logger.debug("task pipeline: round of \(clock.now - start) (orchestrators, allocator, scheduler, publish end at \(times); orchestrators' read, decisions, commits, reaper: \(phases))")
            setAlarm(next)
        } catch let error as ShoalError where error.code == .unavailable {
            // Deposed: the monitor ends this term.
            logger.debug("task pipeline: \(error.message)")
        } catch {
            logger.warning("task pipeline: round failed: \(error)")
            setAlarm(Date().addingTimeInterval(Self.retryPause.timeInterval))
        }
    }

    /// The allocator's step: VIPs for services that lack them, addresses for new tasks (which then wait for the
    /// scheduler). A task whose network is gone stays new with the error. `reconciled`: the tasks as the
    /// orchestrators left them (the allocator and the scheduler write only new and pending tasks, which no node
    /// reports on, so reports stored since that read change nothing they write). Nothing is stored here: the
    /// scheduler's step stores each task once, allocated and placed (one write per task instead of two). Returns
    /// the tasks and services as allocated, with the services' writes and the tasks the step changed.
    private func allocate(_ reconciled: TaskRead, now: Date) async throws -> Allocated {
        let round = try await placementRound(read: nil)
        let versionedServices = round.services
        var result = Allocated(tasks: reconciled.converted, services: versionedServices.map(\.object),
                               networks: round.networks)
        await allocator.releaseAbsent(present: Set(result.services.map(\.id) + reconciled.stored.map(\.id)))
        // Services that publish on the routing mesh have a VIP and their tasks an address on the ingress network.
        for (index, stored) in versionedServices.enumerated() {
            let mesh = round.meshed.contains(stored.id) ? round.ingress : nil
            if let withVIPs = try await allocator.allocateVIPs(service: stored.object, ingress: mesh) {
                result.serviceWrites.append(try services.update(withVIPs, ifVersion: stored.version))
                result.services[index] = withVIPs
            }
        }
        for (index, stored) in reconciled.stored.enumerated() {
            guard let allocated = await allocated(stored.object, round: round, now: now) else { continue }
            result.tasks[index] = SwarmTask(allocated, version: stored.version)
            result.changed.insert(allocated.id)
        }
        return result
    }

    /// What the allocator's step leaves for the scheduler's: every task (those it allocated at the version they
    /// were read at), the services and networks, the services' writes, and the tasks it changed.
    struct Allocated {
        var tasks: [SwarmTask]
        var services: [ServiceMessage]
        var networks: [SwarmNetwork]
        var serviceWrites: [StoreWrite] = []
        var changed: Set<String> = []
    }

    /// Tells the node sessions what the round changed for their nodes, and every node the services' VIPs.
    /// `networks` as the round's allocator step read them.
    private func publish(_ all: [SwarmTask], services stored: [ServiceMessage], networks: [SwarmNetwork]) async throws {
        let ingress = networks.first { $0.spec.ingress }?.id
        let serviceNames = Dictionary(stored.map { ($0.id, $0.spec.name) }, uniquingKeysWith: { first, _ in first })
        await endpoints.setVirtualIPs(stored.flatMap { Self.virtualIPs($0, ingress: ingress) })
        // Tasks join the balancers and DNS once running (healthy, with a health check); tasks wanted down leave
        // them first, then their nodes hear it (below).
        await endpoints.setServing(EndpointFeed.serving(all))
        let networkNames = Dictionary(networks.map { ($0.id, $0.spec.name) },
                                      uniquingKeysWith: { first, _ in first })
        var registryAuths: [String: String] = [:]
        for service in stored where !service.sealedRegistryAuth.isEmpty {
            do {
                registryAuths[service.id] = try ServiceStore.registryAuth(of: service, key: dataKey)
            } catch {
                logger.warning("task pipeline: registry credentials of service \(service.id) cannot be opened: \(error)")
            }
        }
        // Only the tasks whose stored version moved since the last round are told (every task's version is the
        // one it was stored at, the round's own writes included).
        var versions: [String: UInt64] = [:]
        versions.reserveCapacity(all.count)
        var changed: [SwarmTask] = []
        for task in all {
            versions[task.id] = task.version
            if published[task.id] != task.version { changed.append(task) }
        }
        let removed = published.keys.filter { versions[$0] == nil }
        published = versions
        await assignments.update(changed: changed, removed: removed, serviceNames: serviceNames,
                                 networkNames: networkNames, files: await files(of: changed),
                                 registryAuths: registryAuths)
    }

    /// The secret and config files of every task its node is to run (Docker's targets and modes), each payload
    /// opened once per round. A reference whose object is gone is left out (its removal was refused while the
    /// service used it; a task of an older spec may still name it).
    private func files(of tasks: [SwarmTask]) async -> [String: [TaskFile]] {
        let running = tasks.filter {
            !$0.nodeID.isEmpty && $0.status.state >= .assigned && !$0.status.state.isTerminal && $0.desiredState <= .running
        }
        var wanted: Set<DataKey> = []
        for task in running {
            wanted.formUnion(task.spec.containerSpec.secrets.map { DataKey(kind: .secret, id: $0.secretID) })
            wanted.formUnion(task.spec.containerSpec.configs.map { DataKey(kind: .config, id: $0.configID) })
        }
        var opened: [DataKey: Data] = [:]
        for key in wanted {
            do {
                opened[key] = Data(try await payload(key.kind, key.id))
            } catch {
                logger.warning("task pipeline: \(key.kind.rawValue) \(key.id) cannot be opened: \(error)")
            }
        }
        var files: [String: [TaskFile]] = [:]
        for task in running {
            let container = task.spec.containerSpec
            let secrets = container.secrets.compactMap { reference in
                opened[DataKey(kind: .secret, id: reference.secretID)].map {
                    TaskFile(target: TaskFile.secretTarget(reference.file.name), data: $0, mode: reference.file.mode,
                             uid: reference.file.uid, gid: reference.file.gid)
                }
            }
            let configs = container.configs.compactMap { reference in
                opened[DataKey(kind: .config, id: reference.configID)].map {
                    TaskFile(target: TaskFile.configTarget(reference.file.name), data: $0, mode: reference.file.mode,
                             uid: reference.file.uid, gid: reference.file.gid)
                }
            }
            if !(secrets + configs).isEmpty { files[task.id] = secrets + configs }
        }
        return files
    }

    private struct DataKey: Hashable {
        var kind: DataObjectKind
        var id: String
    }

    /// A service's VIPs as endpoints of no node: its name and its aliases on each network resolve to them. The VIP
    /// on the ingress network carries the ports the routing mesh publishes for it (nodes keep ingress names out
    /// of DNS: they only group its tasks).
    static func virtualIPs(_ service: ServiceMessage, ingress: String?) -> [SwarmAttachment] {
        service.endpoint.virtualIps.map { vip in
            var endpoint = SwarmAttachment()
            endpoint.id = "vip-\(service.id)-\(vip.networkID)"
            endpoint.networkID = vip.networkID
            endpoint.serviceID = service.id
            let interface = try? IPv4Interface(parsing: vip.address)
            endpoint.address = interface?.address.description ?? vip.address
            endpoint.prefixLength = Int32(interface?.subnet.prefixLength ?? 32)
            let aliases = service.spec.taskTemplate.networks.first { $0.target == vip.networkID }?.aliases ?? []
            endpoint.dnsNames = [service.spec.name] + aliases
            if vip.networkID == ingress {
                let publishOn = (try? MeshPublishing(labels: service.spec.labels))?.wire ?? ""
                endpoint.ingressPorts = NetworkAllocatorService.meshPorts(of: service).map { port in
                    var mesh = Shoal_Cluster_V1_IngressPort()
                    mesh.protocol = port.protocol.isEmpty ? "tcp" : port.protocol
                    mesh.publishedPort = port.publishedPort
                    mesh.targetPort = port.targetPort
                    mesh.publishOn = publishOn
                    return mesh
                }
            }
            return endpoint
        }
    }

    /// The revision each of `writes` was stored at (they go in parts: `LeaderFence.commit(each:in:)`), or nil
    /// after a conflict (something changed since it was read; the parts before it are stored), which asks for
    /// another round; a lost lead ends this one.
    func commit(each writes: [StoreWrite]) async throws -> [Int64]? {
        guard !writes.isEmpty else { return [] }
        switch try await fence.commit(each: writes, in: objects.store) {
        case .committed(let revisions): return revisions
        case .conflicted:
            wake.yield()
            return nil
        case .deposed: throw ShoalError(.unavailable, SwarmErrors.notLeaderMessage)
        }
    }

    /// The next round at `date` at the latest (replacing the alarm set before).
    private func setAlarm(_ date: Date?) {
        alarm?.cancel()
        guard let date else { return }
        let wake = self.wake
        alarm = Task {
            let delay = max(0, date.timeIntervalSinceNow)
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000) + 1))
            if !Task.isCancelled { wake.yield() }
        }
    }

    /// Wakes the pipeline at every change of `table`, from the revision it was read at; a watch that ends (a
    /// compaction, a store hiccup) starts again from a new read.
    private static func follow<Object: StoreObject>(_ table: StoreTable<Object>,
                                                    wake: AsyncStream<Void>.Continuation) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                do {
                    let revision = try await table.snapshot().revision
                    wake.yield()
                    for try await event in try await table.watch(from: revision + 1) {
                        wake.yield()
                        if case .compacted = event { break }
                    }
                } catch {
                    try? await Task.sleep(for: retryPause)
                }
            }
        }
    }
}
