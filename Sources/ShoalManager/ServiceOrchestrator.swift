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
        let nodes = try await objects.nodes()
        let historyLimit = (try? await objects.cluster().spec.taskHistoryRetentionLimit) ?? SwarmSpec().taskHistoryRetentionLimit
        let context = OrchestrationContext(now: now, nodes: nodes, newTaskID: newTaskID)
        var next: Date?
        var byID: [String: SwarmService] = [:]
        let tasksByService = Dictionary(grouping: try await tasks.list(), by: \.object.serviceID)
        for stored in try await services.list() {
            var service = SwarmService(stored)
            byID[service.id] = service
            let current = tasksByService[service.id] ?? []
            let own = current.map(SwarmTask.init)
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
            var write = try taskWrites(actions, current: current, now: now)
            if let status = update.status {
                var changed = service
                changed.updateStatus = status
                if update.rollsBack, let previous = service.previousSpec {
                    changed.spec = previous
                    changed.previousSpec = nil
                }
                changed.updatedAt = now
                write += try services.update(changed.stored, ifVersion: stored.version)
            } else if !write.changes.isEmpty {
                // Decided on this version of the service: a concurrent update makes the round start again.
                write += try services.unchanged(service.id, sinceVersion: stored.version)
            }
            guard !write.changes.isEmpty else { continue }
            try await commit(write)
        }
        try await reap(services: byID, historyLimit: historyLimit, context: context)
        return next
    }

    /// The reaper over every task as this round left them, in one transaction (a service made or removed during
    /// the round is seen by the next one).
    private func reap(services: [String: SwarmService], historyLimit: Int, context: OrchestrationContext)
        async throws
    {
        let current = try await tasks.list()
        let actions = TaskReaper.reap(current.map(SwarmTask.init), services: services, historyLimit: historyLimit,
                                      nodes: context.nodes)
        let write = try taskWrites(actions, current: current, now: context.now)
        if !write.changes.isEmpty { try await commit(write) }
    }

    /// The store's writes for `actions`, each on the version of the task it was decided on.
    private func taskWrites(_ actions: [OrchestratorAction], current: [Versioned<TaskMessage>], now: Date) throws
        -> StoreWrite
    {
        let versions = Dictionary(current.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var created: [String: SwarmTask] = [:]
        var changed: [String: SwarmTask] = [:]
        var deleted: [String] = []
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
        var write = StoreWrite()
        for task in created.values.sorted(by: { $0.id < $1.id }) { write += try tasks.create(task.stored) }
        for task in changed.values.sorted(by: { $0.id < $1.id }) {
            guard let version = versions[task.id]?.version else { continue }
            write += try tasks.update(task.stored, ifVersion: version)
        }
        for id in deleted.sorted() {
            guard let version = versions[id]?.version else { continue }
            write += try tasks.delete(id, ifVersion: version)
        }
        return write
    }

    /// Commits fenced by the term; a conflict (the service or a task changed since it was read) only skips this
    /// service for this round, a lost lead is an error.
    private func commit(_ write: StoreWrite) async throws {
        if try await fence.commit(write, in: objects.store) == .deposed {
            throw ShoalError(.unavailable, SwarmErrors.notLeaderMessage)
        }
    }
}
