import Foundation
import ShoalAllocator
import ShoalClusterStore
import ShoalCore
import ShoalModel
import ShoalScheduler

/// What one round's allocation and placement know, read once, on first need: the services (with their versions,
/// for the VIP writes), the networks, which services are on the routing mesh, the nodes, and whether the term's
/// scheduler view (`SchedulerView`) was brought up to date with the tasks the round read.
struct PlacementRound {
    var services: [Versioned<ServiceMessage>]
    var networks: [SwarmNetwork]
    var ingress: String?
    /// Services that publish ports on the routing mesh.
    var meshed: Set<String>
    /// Whether the term's scheduler view (`TaskPipeline.schedulerView`) was brought up to date this round: on the
    /// round's first placement (a round that places nothing never touches it); the round's placements follow.
    var synced = false
    var nodes: [SwarmNode]
    /// The tasks the round read (for the scheduler's view and StartOrder's counts), until the view is synced.
    var read: [SwarmTask]?
    /// StartOrder's view: the services, and how many tasks of each serve (counted once a round).
    var startOrder: [StartOrder.Service]
    var serving: [String: Int]?
}

extension TaskPipeline {
    /// The round's `PlacementRound`, read now if this is its first use. `read`: every task as the round read them
    /// (nil: the scheduler's view is synced with the tasks it is given when it places).
    func placementRound(read: [SwarmTask]?) async throws -> PlacementRound {
        if let placement { return placement }
        let services = try await self.services.list()
        let networks = try await self.networks.list().map(\.object)
        let round = PlacementRound(
            services: services, networks: networks, ingress: networks.first { $0.spec.ingress }?.id,
            meshed: Set(services.filter { !NetworkAllocatorService.meshPorts(of: $0.object).isEmpty }.map(\.id)),
            synced: false, nodes: try await objects.nodes(), read: read,
            startOrder: services.map { Self.startOrder($0.object) }, serving: nil)
        placement = round
        return round
    }

    /// The orchestrators' new tasks of one service, allocated and placed before they are first stored (one write
    /// each instead of three: made, allocated, assigned). What cannot be allocated or placed now is stored as the
    /// steps after would store it (new with the error, or pending with the reason) and is tried again by them.
    func prepare(_ made: [SwarmTask], read: [SwarmTask], now: Date) async throws -> [SwarmTask] {
        let round = try await placementRound(read: read)
        var tasks: [SwarmTask] = []
        tasks.reserveCapacity(made.count)
        for task in made { tasks.append(await allocated(task, round: round, now: now) ?? task) }
        let decided = place(tasks, context: read, now: now)
        return tasks.map { decided[$0.id] ?? $0 }
    }

    /// `task` allocated (pending, with an address on each of its networks), or with the reason it cannot be (new,
    /// with the error); nil when it is not new, not wanted up, or already shows that error. A task on no network
    /// (and not on the routing mesh) has nothing to allocate and skips the allocator and its message encoding.
    func allocated(_ task: SwarmTask, round: PlacementRound, now: Date) async -> SwarmTask? {
        guard task.status.state == .new, task.desiredState <= .running else { return nil }
        let ingress = round.meshed.contains(task.serviceID) ? round.ingress : nil
        var allocated = task
        if task.spec.networks.isEmpty, ingress == nil {
            allocated.networksAttachments = []
        } else {
            do {
                allocated = SwarmTask(try await allocator.allocate(task: task.stored, ingress: ingress),
                                      version: Int64(task.version))
            } catch {
                let reason = (error as? ShoalError)?.message ?? "\(error)"
                guard task.status.err != reason else { return nil }
                allocated.status.err = reason
                allocated.status.timestamp = now
                allocated.updatedAt = now
                return allocated
            }
        }
        allocated.status = TaskStatus(timestamp: now, state: .pending, message: "pending task scheduling")
        allocated.updatedAt = now
        return allocated
    }

    /// Decides where the pending tasks of `tasks` wanted up go: a node, or the reason none fits, or the reason
    /// they wait for the services they depend on (StartOrder). A reason is given only when it changes, so a
    /// waiting task does not make a round of its own. `context`: every task, for StartOrder's counts and, when the
    /// scheduler's view is not synced yet this round, to sync it. Returns the tasks that changed, by ID.
    func place(_ tasks: [SwarmTask], context: [SwarmTask], now: Date) -> [String: SwarmTask] {
        guard var round = placement else { return [:] }
        var pending = tasks.filter { $0.status.state == .pending && $0.desiredState <= .running }
            .sorted { ($0.createdAt, $0.slot, $0.id) < ($1.createdAt, $1.slot, $1.id) }
        guard !pending.isEmpty else { return [:] }
        let byID = Dictionary(pending.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let serving = round.serving ?? Self.servingCounts(round.read ?? context)
        round.serving = serving
        let held = StartOrder.held(pending, services: round.startOrder, serving: serving)
        pending.removeAll { held[$0.id] != nil }
        let waiting = held.sorted { $0.key < $1.key }
            .map { SchedulingDecision(taskID: $0.key, outcome: .unschedulable(reason: $0.value)) }
        // The view is taken out while it changes: a second holder would make every placement copy its tables.
        var view = schedulerView ?? SchedulerView()
        schedulerView = nil
        placement = nil
        if !round.synced {
            view.sync(nodes: round.nodes, tasks: round.read ?? context)
            round.synced = true
        }
        round.read = nil
        var changed: [String: SwarmTask] = [:]
        for decision in waiting + view.state.schedule(pending, now: now) {
            guard let task = byID[decision.taskID] else { continue }
            if case .unschedulable(let reason) = decision.outcome, task.status.err == reason { continue }
            var placed = decision.applied(to: task, at: now)
            placed.updatedAt = now
            changed[task.id] = placed
        }
        // The placed tasks are observed again next round, as stored (or, after a conflict, not placed).
        for id in changed.keys {
            view.versions[id] = nil
            view.placed.insert(id)
        }
        schedulerView = view
        placement = round
        return changed
    }

    /// The scheduler's step: every pending task wanted up that the orchestrators did not just place (made in an
    /// earlier round, waiting for a node or for its dependencies) is placed now. It stores the allocator's changes
    /// with its own, each task once. Returns every task as it stands, at the version it is stored at (nil after a
    /// conflict).
    func schedule(_ allocated: Allocated, now: Date) async throws -> [SwarmTask]? {
        let all = allocated.tasks
        // The round's view stands (the orchestrators' placements are in it); StartOrder counts again.
        placement?.read = nil
        placement?.serving = nil
        let changed = place(all, context: all, now: now)
        let toStore = allocated.changed.union(changed.keys)
        var byID: [String: SwarmTask] = [:]
        for task in all where toStore.contains(task.id) && byID[task.id] == nil { byID[task.id] = task }
        // Each object's write stands alone (its own compare-and-swap, on the version the round read), so a round
        // of many goes in parts.
        var writes = allocated.serviceWrites
        var ids: [String] = []
        for id in toStore.sorted() {
            guard let task = changed[id] ?? byID[id] else { continue }
            writes.append(try tasks.update(task.stored, ifVersion: Int64(task.version)))
            ids.append(id)
        }
        guard let revisions = try await commit(each: writes) else { return nil }
        var stored: [String: SwarmTask] = [:]
        for (id, revision) in zip(ids, revisions.dropFirst(allocated.serviceWrites.count)) {
            written.record(revision: revision, stored: [id])
            guard var task = changed[id] ?? byID[id] else { continue }
            task.version = UInt64(revision)
            stored[id] = task
        }
        return all.map { stored[$0.id] ?? $0 }
    }

    /// What StartOrder needs of a service (a label that does not parse was refused when the service was made).
    static func startOrder(_ service: ServiceMessage) -> StartOrder.Service {
        StartOrder.Service(id: service.id, name: service.spec.name,
                           stack: service.spec.labels[ServiceDependencies.stackLabel],
                           dependencies: try? ServiceDependencies(labels: service.spec.labels,
                                                                  serviceName: service.spec.name))
    }

    /// How many tasks of each service serve (EndpointFeed.isServing), by service ID.
    static func servingCounts(_ tasks: [SwarmTask]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for task in tasks where EndpointFeed.isServing(task) { counts[task.serviceID, default: 0] += 1 }
        return counts
    }
}

/// The scheduler's view of the nodes, kept across a term's rounds: each round observes only the tasks whose stored
/// version moved since it last did, and forgets the deleted ones, instead of building the view from every task
/// (at 100,000 tasks, a tenth of a round's time).
struct SchedulerView {
    var state = SchedulerState()
    /// The version of each task as last observed (a task placed since is absent: it is observed again).
    var versions: [String: UInt64] = [:]
    /// Tasks the view placed since it last synced: one the store never got (its commit met a conflict) is
    /// forgotten then.
    var placed: Set<String> = []

    mutating func sync(nodes: [SwarmNode], tasks: [SwarmTask]) {
        let present = Set(nodes.map(\.id))
        for node in state.nodes where !present.contains(node.id) { state.removeNode(id: node.id) }
        for node in nodes { state.upsertNode(node) }
        var seen: [String: UInt64] = [:]
        seen.reserveCapacity(tasks.count)
        for task in tasks {
            seen[task.id] = task.version
            if versions[task.id] != task.version { state.observe(task) }
        }
        for id in versions.keys where seen[id] == nil { state.forget(taskID: id) }
        for id in placed where seen[id] == nil { state.forget(taskID: id) }
        versions = seen
        placed = []
    }
}
