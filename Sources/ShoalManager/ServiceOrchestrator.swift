import Foundation
import ShoalCA
import ShoalClusterStore
import ShoalCore
import ShoalModel
import ShoalOrchestrator

/// The leader's shell around ShoalOrchestrator's cores for one term: it reads the services, their tasks and the
/// nodes, lets the reconcilers, the updater and the restart delays decide, and commits each service's changes in
/// one transaction fenced by the term (a deposed leader changes nothing). A service whose tasks changed in between
/// is left for the next round; then the reaper trims the history. Between rounds it keeps only what tells it which
/// services the next round must look at.
actor ServiceOrchestrator {
    let objects: SwarmObjects
    let fence: LeaderFence
    let services: StoreTable<ServiceMessage>
    let tasks: StoreTable<TaskMessage>
    /// The orchestrators' last task writes (the pipeline's mirror must show them before the next round).
    private(set) var written = TaskWrites()
    /// What the last round looked at (see `reconcileRound`).
    private var looked = Looked()
    /// How much the last round did: services looked at, tasks made, tasks changed or deleted (scale runs' logs).
    private(set) var lastRoundWork = (looked: 0, made: 0, changed: 0)
    /// Where the last round's time went: reading, deciding (the cores), committing (of which telling the nodes:
    /// `publish`), reaping (scale runs' logs).
    private(set) var lastRoundTimes: (read: Duration, decide: Duration, commit: Duration, publish: Duration,
                                      reap: Duration) = (.zero, .zero, .zero, .zero, .zero)
    /// This round's time in the `committed` callback so far.
    private var publishing = Duration.zero

    init(objects: SwarmObjects, fence: LeaderFence) {
        self.objects = objects
        self.fence = fence
        services = StoreTable(objects.store)
        tasks = StoreTable(objects.store)
    }

    /// One round over every service; returns when the next round is due at the latest (a restart delay or an
    /// update's monitor or delay ends), nil when nothing waits on the clock.
    @discardableResult
    func reconcileAll(now: Date = Date(), newTaskID: @escaping @Sendable () -> String = { RandomID.generate() })
        async throws -> Date?
    {
        try await reconcileRound(now: now, newTaskID: newTaskID).next
    }

    /// Turns the tasks a service's step makes into what is stored, before it is stored; `read`: every task as
    /// the round read it. The task pipeline allocates and places them here, so a new task is written once.
    typealias Preparation = @Sendable (_ made: [SwarmTask], _ read: [SwarmTask]) async throws -> [SwarmTask]

    /// Hears of the tasks a commit stored, at their versions, with the messages stored (by task ID).
    typealias Committed = @Sendable (_ tasks: [SwarmTask], _ messages: [String: TaskMessage]) async -> Void

    /// `reconcileAll`, and the tasks as the round left them: the round's read of the table with its own commits
    /// applied (each at the revision it was stored at), so the steps after it need not read the table again.
    /// Other writers' changes since the read (the nodes' status reports) are not in it. `prepare` sees each
    /// service's new tasks before they are stored (the same tasks, same IDs, come back); `committed` hears of the
    /// tasks each commit stored, at their versions, as soon as it is stored.
    ///
    /// `read`: the tasks to start from (the pipeline's mirror), with the services whose tasks changed since the
    /// read before it; nil reads the table and looks at every service. A service is looked at when its tasks or
    /// its spec changed, when its clock is due (a restart delay, an update's delay or monitor), when its last
    /// commit met a conflict, and every service when the nodes or the history limit changed, so a round's
    /// decisions follow its changes rather than the size of the table.
    func reconcileRound(now: Date = Date(), newTaskID: @escaping @Sendable () -> String = { RandomID.generate() },
                        read given: TaskRead? = nil, changedServices: Set<String>? = nil,
                        prepare: Preparation? = nil, committed: Committed? = nil)
        async throws -> (next: Date?, tasks: TaskRead)
    {
        let clock = ContinuousClock()
        let start = clock.now
        var committing = Duration.zero
        publishing = .zero
        let nodes = try await objects.nodes()
        let historyLimit = (try? await objects.cluster().spec.taskHistoryRetentionLimit) ?? SwarmSpec().taskHistoryRetentionLimit
        let context = OrchestrationContext(now: now, nodes: nodes, newTaskID: newTaskID)
        let read: TaskRead
        if let given {
            read = given
        } else {
            let stored = try await tasks.list()
            read = TaskRead(stored: stored, converted: stored.map(SwarmTask.init))
        }
        let readTime = clock.now - start
        let everything = given == nil || changedServices == nil || context.nodes != looked.nodes
            || historyLimit != looked.historyLimit
        let changed = changedServices ?? []
        let tasksByService = Dictionary(grouping: read.stored.indices, by: { read.stored[$0].object.serviceID })
        var round = RoundChanges()
        var byID: [String: SwarmService] = [:]
        var next = Looked(nodes: context.nodes, historyLimit: historyLimit)
        var inFlight: [ServiceCommit] = []
        var work = (looked: 0, made: 0, changed: 0)
        // A deposed leader's or a failed round's commits still in flight end with it.
        defer { for commit in inFlight { commit.storing.cancel() } }
        for stored in try await services.list() {
            var service = SwarmService(stored)
            byID[service.id] = service
            let due = everything || changed.contains(service.id) || looked.versions[service.id] != stored.version
                || looked.retry.contains(service.id) || (looked.wakes[service.id].map { $0 <= now } ?? false)
            next.versions[service.id] = stored.version
            guard due else {
                next.wakes[service.id] = looked.wakes[service.id]
                continue
            }
            next.looked.insert(service.id)
            work.looked += 1
            let indices = tasksByService[service.id] ?? []
            let current = indices.map { read.stored[$0] }
            let own = indices.map { read.converted[$0] }
            let decision = Self.decide(&service, tasks: own, context: context)
            next.wakes[service.id] = decision.wake
            var changes = TaskChanges(decision.actions, current: current, now: now)
            work.made += changes.created.count
            work.changed += changes.changed.count + changes.deleted.count
            if let prepare, !changes.created.isEmpty {
                let made = changes.created.values.sorted { $0.id < $1.id }
                for task in try await prepare(made, read.converted) where changes.created[task.id] != nil {
                    changes.created[task.id] = task
                }
            }
            let entries = try taskWrites(changes)
            // Decided on this version of the service: a concurrent update makes the round start again.
            let unchanged = try services.unchanged(service.id, sinceVersion: stored.version)
            var last = entries.isEmpty ? StoreWrite() : unchanged
            if let status = decision.update.status {
                var changed = service
                changed.updateStatus = status
                if decision.update.rollsBack, let previous = service.previousSpec {
                    changed.changeSpec(to: previous, keepingPrevious: false)
                }
                changed.updatedAt = now
                last = try services.update(changed.stored, ifVersion: stored.version)
            }
            guard !entries.isEmpty || !last.changes.isEmpty else { continue }
            // Many tasks (a service of thousands scaled or created) go in parts of a size the store takes, each
            // on the service's version; the service's own change rides with the last part. The store stores one
            // service's writes while the next service is decided (at most `commitsInFlight` services at a time).
            let parts = StoreWrite.parts(entries.map(\.write))
            let steps = parts.isEmpty ? [(write: StoreWrite(), indices: [Int]())] : parts
            let writes = steps.enumerated().map { $1.write + ($0 == steps.count - 1 ? last : unchanged) }
            let (fence, store) = (self.fence, objects.store)
            inFlight.append(ServiceCommit(serviceID: service.id, entries: entries, parts: steps.map(\.indices),
                                          storing: Task { try await Self.store(writes, fence: fence, in: store) }))
            while inFlight.count >= Self.commitsInFlight {
                let waitStart = clock.now
                try await settle(inFlight.removeFirst(), into: &round, retry: &next.retry, committed: committed)
                committing += clock.now - waitStart
            }
        }
        let waitStart = clock.now
        while !inFlight.isEmpty {
            try await settle(inFlight.removeFirst(), into: &round, retry: &next.retry, committed: committed)
        }
        committing += clock.now - waitStart
        let reapStart = clock.now
        // The reaper looks at the services looked at, and at the tasks of services that are gone.
        var after = round.applied(to: read)
        let reaped = everything ? nil : next.looked.union(tasksByService.keys.filter { byID[$0] == nil })
        try await reap(&after, only: reaped, services: byID, historyLimit: historyLimit, context: context)
        looked = next
        lastRoundWork = work
        lastRoundTimes = (readTime, reapStart - start - readTime - committing, committing, publishing,
                          clock.now - reapStart)
        return (next.wakes.values.min(), after)
    }

    /// How many services' commits may be in flight while the next services are decided (the store applies one
    /// transaction while the next ones travel and wait for the log's sync, and etcd syncs the transactions that
    /// wait together). Measured at 1,000 nodes and 100,000 tasks, once the round no longer waited for the nodes'
    /// feed: with 4, the commits of a 100-service create took 25 s (etcd at 12 s of CPU over the step); with 8,
    /// 7.3 s.
    static let commitsInFlight = 8

    /// One service's writes on their way to the store.
    struct ServiceCommit {
        var serviceID: String
        var entries: [TaskWrite]
        /// The entries each part holds, in the order the parts are stored.
        var parts: [[Int]]
        /// The revision of each part stored; it stops at the first conflict.
        var storing: Task<[Int64], any Error>
    }

    /// Stores `writes` one after the other, fenced by the term, until one meets a conflict; returns the revisions
    /// of those stored. A lost lead is an error.
    private static func store(_ writes: [StoreWrite], fence: LeaderFence, in store: any ClusterStore) async throws
        -> [Int64]
    {
        let (revisions, outcome) = try await fence.commit(inOrder: writes, in: store)
        if case .deposed = outcome { throw ShoalError(.unavailable, SwarmErrors.notLeaderMessage) }
        return revisions
    }

    /// Waits for a service's commit and records what it stored; a conflict leaves the service for the next round.
    private func settle(_ commit: ServiceCommit, into round: inout RoundChanges, retry: inout Set<String>,
                        committed: Committed?) async throws {
        let revisions = try await commit.storing.value
        if revisions.count < commit.parts.count { retry.insert(commit.serviceID) }
        for (part, revision) in zip(commit.parts, revisions) {
            for entry in part { commit.entries[entry].apply(at: revision, to: &round, recording: &written) }
            if let committed {
                let started = ContinuousClock.now
                let stored = part.compactMap { commit.entries[$0].stored }
                await committed(part.compactMap { commit.entries[$0].task(at: revision) },
                                Dictionary(stored.map { ($0.message.id, $0.message) },
                                           uniquingKeysWith: { first, _ in first }))
                publishing += ContinuousClock.now - started
            }
        }
    }

    /// What one service needs now: its reconciler's actions, its update's step (which may begin an update: the
    /// service's update status is set then), due restarts, and a rebalancing move when nothing else is to be done;
    /// with when to look at it again at the latest.
    private static func decide(_ service: inout SwarmService, tasks own: [SwarmTask], context: OrchestrationContext)
        -> (actions: [OrchestratorAction], update: Updater.Step, wake: Date?)
    {
        var actions = service.spec.mode.isGlobal
            ? GlobalReconciler.reconcile(service, tasks: own, context: context)
            : ReplicatedReconciler.reconcile(service, tasks: own, context: context)
        let begun = Updater.begins(service, tasks: own, now: context.now)
        if let begun { service.updateStatus = begun }
        var update = Updater.step(service, tasks: own.applying(actions), context: context)
        if update.status == nil { update.status = begun }
        actions += update.actions
        let due = RestartSupervisor.dueStarts(own.applying(actions), now: context.now)
        actions += due.actions
        // Moves onto emptier nodes only when nothing else is to be done for the service.
        let rebalance = actions.isEmpty && update.status == nil
            ? Rebalancer.step(service, tasks: own, context: context) : Rebalancer.Step()
        actions += rebalance.actions
        return (actions, update, [update.next, due.next, rebalance.next].compactMap { $0 }.min())
    }

    /// What the last round looked at and saw, for telling which services the next one must look at.
    struct Looked {
        var nodes: [String: SwarmNode] = [:]
        var historyLimit = Int.min
        /// Every service's version as the round read it.
        var versions: [String: Int64] = [:]
        /// When each service is due again on the clock.
        var wakes: [String: Date] = [:]
        /// Services whose commit met a conflict.
        var retry: Set<String> = []
        /// The services the round looked at.
        var looked: Set<String> = []
    }

    /// The reaper over the tasks as this round left them, of the services in `only` (nil: every task); its
    /// deletions are applied to `tasks`.
    private func reap(_ tasks: inout TaskRead, only: Set<String>?, services: [String: SwarmService],
                      historyLimit: Int, context: OrchestrationContext) async throws
    {
        if let only, only.isEmpty { return }
        // Only services with something to reap: a task that ended or is not wanted any more, or no service.
        var candidates: Set<String> = []
        for task in tasks.converted where only?.contains(task.serviceID) ?? true {
            if task.status.state.isTerminal || task.desiredState > .running || services[task.serviceID] == nil {
                candidates.insert(task.serviceID)
            }
        }
        guard !candidates.isEmpty else { return }
        let actions = TaskReaper.reap(tasks.converted, only: candidates, services: services,
                                      historyLimit: historyLimit, nodes: context.nodes)
        let entries = try taskWrites(TaskChanges(actions, current: tasks.stored, now: context.now))
        guard !entries.isEmpty else { return }
        // Each deletion stands alone (its own version): thousands (a service scaled down) go in parts.
        let revisions: [Int64?]
        switch try await fence.commit(each: entries.map(\.write), in: objects.store) {
        case .committed(let stored): revisions = stored
        case .conflicted(let stored): revisions = stored
        case .deposed: throw ShoalError(.unavailable, SwarmErrors.notLeaderMessage)
        }
        var reaped = RoundChanges()
        for (entry, revision) in zip(entries, revisions) {
            if let revision { entry.apply(at: revision, to: &reaped, recording: &written) }
        }
        tasks = reaped.applied(to: tasks)
    }
}
