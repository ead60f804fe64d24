import Foundation
import ShoalCA
import ShoalClusterStore
import ShoalCore
import ShoalModel
import ShoalOrchestrator

/// The leader's shell around ShoalOrchestrator's cores for one term: it reads the services, their tasks and the
/// nodes, lets the reconcilers, the updater and the restart delays decide, and commits each service's changes in
/// one transaction fenced by the term (a deposed leader changes nothing). A service whose tasks changed in between
/// is left for the next round; then the reaper trims the history. It keeps nothing between rounds.
actor ServiceOrchestrator {
    let objects: SwarmObjects
    let fence: LeaderFence
    private let services: StoreTable<ServiceMessage>
    private let tasks: StoreTable<TaskMessage>
    /// Where the last round's time went: reading, deciding (the cores), committing, reaping (scale runs' logs).
    /// The orchestrators' last task writes (the pipeline's mirror must show them before the next round).
    private(set) var written = TaskWrites()
    private(set) var lastRoundTimes: (read: Duration, decide: Duration, commit: Duration, reap: Duration) =
        (.zero, .zero, .zero, .zero)

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

    /// `reconcileAll`, and the tasks as the round left them: the round's one read of the table with its own
    /// commits applied (each at the revision it was stored at), so the steps after it need not read the table
    /// again. Other writers' changes since the read (the nodes' status reports) are not in it. `prepare` sees
    /// each service's new tasks before they are stored (the same tasks, same IDs, come back).
    /// `read`: the tasks to start from (the pipeline's mirror); nil reads the table.
    func reconcileRound(now: Date = Date(), newTaskID: @escaping @Sendable () -> String = { RandomID.generate() },
                        read given: TaskRead? = nil, prepare: Preparation? = nil)
        async throws -> (next: Date?, tasks: [Versioned<TaskMessage>])
    {
        let clock = ContinuousClock()
        let start = clock.now
        var committing = Duration.zero
        let nodes = try await objects.nodes()
        let historyLimit = (try? await objects.cluster().spec.taskHistoryRetentionLimit) ?? SwarmSpec().taskHistoryRetentionLimit
        let context = OrchestrationContext(now: now, nodes: nodes, newTaskID: newTaskID)
        var next: Date?
        var byID: [String: SwarmService] = [:]
        let read: [Versioned<TaskMessage>], converted: [SwarmTask]
        if let given {
            (read, converted) = (given.stored, given.converted)
        } else {
            read = try await tasks.list()
            // Each task is converted once a round: the reconcilers and the reaper share the conversions.
            converted = read.map(SwarmTask.init)
        }
        let readTime = clock.now - start
        let tasksByService = Dictionary(grouping: read.indices, by: { read[$0].object.serviceID })
        var after = Dictionary(read.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for stored in try await services.list() {
            var service = SwarmService(stored)
            byID[service.id] = service
            let indices = tasksByService[service.id] ?? []
            let current = indices.map { read[$0] }
            let own = indices.map { converted[$0] }
            var actions = service.spec.mode.isGlobal
                ? GlobalReconciler.reconcile(service, tasks: own, context: context)
                : ReplicatedReconciler.reconcile(service, tasks: own, context: context)
            let begun = Updater.begins(service, tasks: own, now: now)
            if let begun { service.updateStatus = begun }
            var update = Updater.step(service, tasks: own.applying(actions), context: context)
            if update.status == nil { update.status = begun }
            actions += update.actions
            let due = RestartSupervisor.dueStarts(own.applying(actions), now: now)
            actions += due.actions
            // Moves onto emptier nodes only when nothing else is to be done for the service.
            let rebalance = actions.isEmpty && update.status == nil
                ? Rebalancer.step(service, tasks: own, context: context) : Rebalancer.Step()
            actions += rebalance.actions
            for wake in [update.next, due.next, rebalance.next].compactMap({ $0 }) {
                next = next.map { min($0, wake) } ?? wake
            }
            var changes = TaskChanges(actions, current: current, now: now)
            if let prepare, !changes.created.isEmpty {
                let made = changes.created.values.sorted { $0.id < $1.id }
                for task in try await prepare(made, converted) where changes.created[task.id] != nil {
                    changes.created[task.id] = task
                }
            }
            let entries = try taskWrites(changes, current: current)
            // Decided on this version of the service: a concurrent update makes the round start again.
            let unchanged = try services.unchanged(service.id, sinceVersion: stored.version)
            var last = entries.isEmpty ? StoreWrite() : unchanged
            if let status = update.status {
                var changed = service
                changed.updateStatus = status
                if update.rollsBack, let previous = service.previousSpec {
                    changed.spec = previous
                    changed.previousSpec = nil
                }
                changed.updatedAt = now
                last = try services.update(changed.stored, ifVersion: stored.version)
            }
            guard !entries.isEmpty || !last.changes.isEmpty else { continue }
            // Many tasks (a service of thousands scaled or created) go in parts of a size the store takes, each
            // on the service's version; the service's own change rides with the last part.
            let parts = StoreWrite.parts(entries.map(\.write))
            let steps = parts.isEmpty ? [(write: StoreWrite(), indices: [Int]())] : parts
            for (index, part) in steps.enumerated() {
                let write = part.write + (index == steps.count - 1 ? last : unchanged)
                let commitStart = clock.now
                defer { committing += clock.now - commitStart }
                guard let revision = try await commit(write) else { break }
                for entry in part.indices { entries[entry].apply(at: revision, to: &after, recording: &written) }
            }
        }
        let reapStart = clock.now
        let unchanged = Dictionary(converted.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        try await reap(&after, converted: unchanged, services: byID, historyLimit: historyLimit, context: context)
        lastRoundTimes = (readTime, reapStart - start - readTime - committing, committing, clock.now - reapStart)
        return (next, after.keys.sorted().compactMap { after[$0] })
    }

    /// The reaper over every task as this round left them (a service made or removed during the round is seen by
    /// the next one).
    /// `converted`: the round's conversions of the tasks it read (used while a task's version is unchanged).
    private func reap(_ tasks: inout [String: Versioned<TaskMessage>], converted: [String: SwarmTask],
                      services: [String: SwarmService], historyLimit: Int, context: OrchestrationContext)
        async throws
    {
        let current = tasks.keys.sorted().compactMap { tasks[$0] }
        let all = current.map { stored in
            converted[stored.id].flatMap { $0.version == UInt64(stored.version) ? $0 : nil } ?? SwarmTask(stored)
        }
        let actions = TaskReaper.reap(all, services: services, historyLimit: historyLimit, nodes: context.nodes)
        let entries = try taskWrites(TaskChanges(actions, current: current, now: context.now), current: current)
        guard !entries.isEmpty else { return }
        // Each deletion stands alone (its own version): thousands (a service scaled down) go in parts.
        let revisions: [Int64?]
        switch try await fence.commit(each: entries.map(\.write), in: objects.store) {
        case .committed(let stored): revisions = stored
        case .conflicted(let stored): revisions = stored
        case .deposed: throw ShoalError(.unavailable, SwarmErrors.notLeaderMessage)
        }
        for (entry, revision) in zip(entries, revisions) {
            if let revision { entry.apply(at: revision, to: &tasks, recording: &written) }
        }
    }

    /// One task's write in a round, and what it leaves: the task stored, or its ID deleted.
    private struct TaskWrite {
        var write: StoreWrite
        var stored: TaskMessage?
        /// The stored task's create revision (nil: created by this write).
        var createRevision: Int64?
        var deleted: String?

        /// The tasks as they are once the write is stored at `revision`; `written` records it.
        func apply(at revision: Int64, to tasks: inout [String: Versioned<TaskMessage>], recording written: inout TaskWrites) {
            if let stored {
                tasks[stored.id] = Versioned(object: stored, version: revision, createRevision: createRevision ?? revision)
                written.record(revision: revision, stored: [stored.id])
            }
            if let deleted {
                tasks[deleted] = nil
                written.record(revision: revision, deleted: [deleted])
            }
        }
    }

    /// What a service's actions do to its tasks: made, changed (on the version they were decided on), deleted.
    private struct TaskChanges {
        var created: [String: SwarmTask] = [:]
        var changed: [String: SwarmTask] = [:]
        var deleted: [String] = []

        init(_ actions: [OrchestratorAction], current: [Versioned<TaskMessage>], now: Date) {
            var versions: [String: Versioned<TaskMessage>] = [:]
            for stored in current where versions[stored.id] == nil { versions[stored.id] = stored }
            for action in actions {
                switch action {
                case .create(let task):
                    created[task.id] = task
                case .setDesiredState(let id, let state):
                    if created[id] != nil {
                        created[id]?.desiredState = state
                    } else if var task = changed[id] ?? versions[id].map(SwarmTask.init) {
                        task.desiredState = state
                        task.updatedAt = now
                        changed[id] = task
                    }
                case .delete(let id):
                    deleted.append(id)
                }
            }
        }
    }

    /// The store's writes for `changes`, each on the version of the task it was decided on.
    private func taskWrites(_ changes: TaskChanges, current: [Versioned<TaskMessage>]) throws -> [TaskWrite] {
        let versions = Dictionary(current.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var result: [TaskWrite] = []
        for task in changes.created.values.sorted(by: { $0.id < $1.id }) {
            let stored = task.stored
            result.append(TaskWrite(write: try tasks.create(stored), stored: stored))
        }
        for task in changes.changed.values.sorted(by: { $0.id < $1.id }) {
            guard let existing = versions[task.id] else { continue }
            let stored = task.stored
            result.append(TaskWrite(write: try tasks.update(stored, ifVersion: existing.version), stored: stored,
                                    createRevision: existing.createRevision))
        }
        for id in changes.deleted.sorted() {
            guard let version = versions[id]?.version else { continue }
            result.append(TaskWrite(write: try tasks.delete(id, ifVersion: version), deleted: id))
        }
        return result
    }

    /// Commits fenced by the term; returns the revision it was stored at, or nil after a conflict (the service or
    /// a task changed since it was read), which only skips this service for this round; a lost lead is an error.
    private func commit(_ write: StoreWrite) async throws -> Int64? {
        switch try await fence.commit(write, in: objects.store) {
        case .committed(let revision): return revision
        case .conflicted: return nil
        case .deposed: throw ShoalError(.unavailable, SwarmErrors.notLeaderMessage)
        }
    }
}
