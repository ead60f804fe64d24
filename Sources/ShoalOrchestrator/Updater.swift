import Foundation
import ShoalModel

/// A rolling update or rollback, one step at a time (SwarmKit's updater, as a function of the store's objects).
///
/// While the service's update status is `updating` (or `rollback_started`), slots whose live task was made from an
/// older spec are replaced in batches of `parallelism` (0: all at once), `delay` apart: `stop-first` shuts the old
/// task down as its replacement is made, `start-first` keeps it until the replacement runs. A replacement is
/// watched for `monitor` after it starts running; one that ends on its own before (or never ran) is a failure.
/// Once the failures exceed `maxFailureRatio` of the slots, `failureAction` applies: pause, carry on, or roll back
/// to the previous spec (a rollback is never rolled back: it pauses). With nothing left to replace or watch, the
/// update is completed.
public enum Updater {
    /// What one step decides: task changes, and the service's new update status (with the spec swapped back
    /// when it starts a rollback).
    public struct Step: Sendable, Equatable {
        public var actions: [OrchestratorAction] = []
        public var status: ServiceUpdateStatus?
        /// The rollback to start: the service's spec becomes its previous one.
        public var rollsBack = false
        /// When to look again (a monitor or delay ends) if nothing else happens first.
        public var next: Date?
    }

    /// The update status a new spec starts, when the service has tasks to replace.
    public static func begin(now: Date, rollback: Bool = false, message: String? = nil) -> ServiceUpdateStatus {
        ServiceUpdateStatus(state: rollback ? .rollbackStarted : .updating, startedAt: now,
                            message: message ?? (rollback ? "manually requested rollback" : "update in progress"))
    }

    /// The update a service needs now: one begins when it has none on record (a new spec resets it) and a task
    /// wanted up runs an older spec. A paused or finished update is left as it is until the next spec.
    public static func begins(_ service: SwarmService, tasks: [SwarmTask], now: Date) -> ServiceUpdateStatus? {
        guard service.updateStatus == nil,
              tasks.contains(where: { $0.isLive && !isCurrent($0, of: service) }) else { return nil }
        return begin(now: now)
    }

    /// A task runs the service's current spec: its task template and its endpoint (published ports decide where
    /// a task may run and whether it is on the routing mesh), as SwarmKit judges a task dirty.
    static func isCurrent(_ task: SwarmTask, of service: SwarmService) -> Bool {
        task.spec == service.spec.taskTemplate
            && (task.endpoint ?? EndpointSpec()) == (service.spec.endpointSpec ?? EndpointSpec())
    }

    public static func step(_ service: SwarmService, tasks: [SwarmTask], context: OrchestrationContext) -> Step {
        guard var status = service.updateStatus, status.inProgress else { return Step() }
        let rollingBack = status.state == .rollbackStarted
        let config = (rollingBack ? service.spec.rollbackConfig : service.spec.updateConfig) ?? UpdateConfig()
        let global = service.spec.mode.isGlobal
        let now = context.now
        var step = Step()

        // This update's replacements, and the ones that failed while watched.
        let replacements = tasks.filter { isCurrent($0, of: service) && $0.createdAt >= status.startedAt }
        let replacementIDs = Set(replacements.map(\.id))
        let failures = replacements.filter { failedWhileWatched($0, monitor: config.monitor) }
            .sorted { $0.lastChange < $1.lastChange }

        var dirty: [(key: SlotKey, old: [SwarmTask])] = []
        var watched = 0
        var starting = 0
        var updatedSlots = 0
        for (key, slot) in Dictionary(grouping: tasks.filter(\.isLive), by: { SlotKey($0, global: global) }) {
            let old = slot.filter { !isCurrent($0, of: service) }
            let new = slot.filter { isCurrent($0, of: service) }
            guard !new.isEmpty else {
                dirty.append((key, old))
                continue
            }
            updatedSlots += 1
            // start-first: the old task goes once its replacement runs.
            if new.contains(where: { $0.status.state == .running }) {
                step.actions += old.map { .setDesiredState(taskID: $0.id, .shutdown) }
            }
            for task in new where replacementIDs.contains(task.id) {
                let settled = settledAt(task, monitor: config.monitor)
                if let settled, settled <= now { continue }
                watched += 1
                if settled == nil { starting += 1 }
                if let settled { step.next = earliest(step.next, settled) }
            }
        }
        dirty.sort { $0.key < $1.key }

        let total = max(1, dirty.count + updatedSlots)
        if let failed = failures.last, config.failureAction != .continue,
           Double(failures.count) / Double(total) > config.maxFailureRatio {
            let reason = "due to failure or early termination of task \(failed.id)"
            if config.failureAction == .rollback && !rollingBack && service.previousSpec != nil {
                step.rollsBack = true
                status = ServiceUpdateStatus(state: .rollbackStarted, startedAt: now,
                                             message: "update rolled back \(reason)")
            } else {
                status.state = rollingBack ? .rollbackPaused : .paused
                status.message = "\(rollingBack ? "rollback" : "update") paused \(reason)"
            }
            step.status = status
            step.actions = []
            step.next = nil
            return step
        }

        if dirty.isEmpty && watched == 0 {
            status.state = rollingBack ? .rollbackCompleted : .completed
            status.completedAt = now
            status.message = rollingBack ? "rollback completed" : "update completed"
            step.status = status
            return step
        }

        // The next batch, once the previous one's delay has passed.
        let lastStart = replacements.map(\.createdAt).max()
        if let lastStart, config.delay > 0, lastStart.addingTimeInterval(config.delay) > now {
            step.next = earliest(step.next, lastStart.addingTimeInterval(config.delay))
            return step
        }
        // A replacement frees its place in the batch once it runs (SwarmKit's updater); the monitor keeps
        // watching it for the failure ratio, and the update completes when every replacement was watched.
        let room = config.parallelism == 0 ? dirty.count : max(0, Int(config.parallelism) - starting)
        for (key, old) in dirty.prefix(room) {
            if config.order == .stopFirst {
                step.actions += old.map { .setDesiredState(taskID: $0.id, .shutdown) }
            }
            step.actions.append(.create(SwarmTask.new(of: service, slot: key.slot, nodeID: key.nodeID,
                                                      id: context.newTaskID(), now: now)))
        }
        return step
    }

    /// A replacement that ended on its own before its monitor ran out (or before it ever ran).
    static func failedWhileWatched(_ task: SwarmTask, monitor: TimeInterval) -> Bool {
        guard [.complete, .failed, .rejected, .orphaned].contains(task.status.state) else { return false }
        guard let since = task.status.runningSince else { return true }
        return task.status.timestamp <= since.addingTimeInterval(monitor)
    }

    /// When a running replacement has been watched long enough; nil while it does not run yet.
    static func settledAt(_ task: SwarmTask, monitor: TimeInterval) -> Date? {
        if task.status.state.isTerminal { return .distantPast }
        guard task.status.state == .running else { return nil }
        return (task.status.runningSince ?? task.status.timestamp).addingTimeInterval(monitor)
    }

    static func earliest(_ a: Date?, _ b: Date) -> Date { a.map { min($0, b) } ?? b }
}
