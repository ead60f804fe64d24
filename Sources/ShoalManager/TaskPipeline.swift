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
    let endpoints: EndpointFeed
    /// A secret's or config's payload, opened by the leader (only the nodes whose tasks use it get it).
    let payload: @Sendable (DataObjectKind, String) async throws -> [UInt8]
    /// Opens the services' registry credentials (only the nodes that run their tasks get them).
    let dataKey: ClusterDataKey?
    let assignments = AssignmentFeed()
    let logger: Logger
    let tasks: StoreTable<TaskMessage>
    let services: StoreTable<ServiceMessage>
    let networks: StoreTable<SwarmNetwork>
    private let wakes: AsyncStream<Void>
    let wake: AsyncStream<Void>.Continuation
    private var running: [Task<Void, Never>] = []
    private var alarm: Task<Void, Never>?
    /// The task table, kept by its watch (the rounds start from it rather than from a read of the whole table).
    nonisolated let mirror: TaskMirror
    /// The pipeline's last task writes: the mirror must show them before a round starts from it.
    var written = TaskWrites()
    /// The version of every task as the last round told the node sessions of it.
    var published: [String: UInt64] = [:]
    /// The scheduler's view of the nodes, kept across the term's rounds (see `SchedulerView`).
    var schedulerView: SchedulerView?
    /// What this round's allocation and placement know (read on first need; see `PlacementRound`).
    var placement: PlacementRound?
    /// Tasks the orchestrators placed this round that the nodes have not been told of yet (`publishPlaced`).
    var placedBatch = PlacedBatch()

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
            // A failed round's untold placements are told by this round's end (they are not marked published).
            placedBatch = PlacedBatch()
            written.record(await orchestrator.written)
            let read = await mirror.read(showing: written)
            if read == nil { logger.debug("task pipeline: the task mirror is behind, the round reads the table") }
            let (next, reconciled) = try await orchestrator.reconcileRound(
                now: now, read: read?.tasks, changedServices: read?.changedServices,
                prepare: { made, read in try await self.prepare(made, read: read, now: now) },
                committed: { tasks, messages in await self.publishPlaced(tasks, messages: messages) })
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
            let work = await orchestrator.lastRoundWork
            logger.debug("task pipeline: round of \(clock.now - start) (orchestrators, allocator, scheduler, publish end at \(times); orchestrators' read, decisions, commits (of which telling the nodes), reaper: \(phases); services looked at, tasks made, tasks changed: \(work))")
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
        for (index, task) in reconciled.converted.enumerated() where task.status.state == .new {
            guard let allocated = await allocated(task, round: round, now: now) else { continue }
            result.tasks[index] = allocated
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

    /// Wakes the pipeline at every change of `table`, from the revision it was read at (`StoreTable.follow`).
    private static func follow<Object: StoreObject>(_ table: StoreTable<Object>,
                                                    wake: AsyncStream<Void>.Continuation) -> Task<Void, Never> {
        Task {
            await table.follow(retryPause: retryPause, snapshot: { _ in wake.yield() }, change: { _ in wake.yield() })
        }
    }
}
