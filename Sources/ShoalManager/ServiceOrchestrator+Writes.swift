import Foundation
import ShoalClusterStore
import ShoalCore
import ShoalModel
import ShoalOrchestrator

/// The orchestrators' writes: what a service's actions change, and the store writes that carry them, each on
/// the version of the task it was decided on.
extension ServiceOrchestrator {
    /// One task's write in a round, and what it leaves: the task stored, or its ID deleted.
    struct TaskWrite {
        var write: StoreWrite
        /// The task the write stores, as stored and as decided (nil for a deletion).
        var stored: (message: TaskMessage, task: SwarmTask)?
        /// The stored task's create revision (nil: created by this write).
        var createRevision: Int64?
        var deleted: String?

        /// The task as stored at `revision`.
        func task(at revision: Int64) -> SwarmTask? {
            guard var task = stored?.task else { return nil }
            task.version = UInt64(revision)
            return task
        }

        /// Records that the write is stored at `revision`, in the round's changes and in `written`.
        func apply(at revision: Int64, to changes: inout RoundChanges, recording written: inout TaskWrites) {
            if let stored, let task = task(at: revision) {
                let id = stored.message.id
                changes.stored[id] = (Versioned(object: stored.message, version: revision,
                                                createRevision: createRevision ?? revision), task)
                written.record(revision: revision, stored: [id])
            }
            if let deleted {
                changes.stored[deleted] = nil
                changes.deleted.insert(deleted)
                written.record(revision: revision, deleted: [deleted])
            }
        }
    }

    /// A round's own changes to the tasks it read: tasks stored (at the revision they were stored at, with their
    /// conversions) and deleted.
    struct RoundChanges {
        var stored: [String: (stored: Versioned<TaskMessage>, task: SwarmTask)] = [:]
        var deleted: Set<String> = []

        /// `read` with these changes: each task in read order, then the new ones; conversions are reused for the
        /// tasks left as read.
        func applied(to read: TaskRead) -> TaskRead {
            guard !stored.isEmpty || !deleted.isEmpty else { return read }
            var result = TaskRead(stored: [], converted: [])
            result.stored.reserveCapacity(read.stored.count + stored.count)
            result.converted.reserveCapacity(read.stored.count + stored.count)
            var new = stored
            for (index, task) in read.stored.enumerated() where !deleted.contains(task.id) {
                let changed = new.removeValue(forKey: task.id)
                result.stored.append(changed?.stored ?? task)
                result.converted.append(changed?.task ?? read.converted[index])
            }
            for (_, task) in new.sorted(by: { $0.key < $1.key }) {
                result.stored.append(task.stored)
                result.converted.append(task.task)
            }
            return result
        }
    }

    /// What a service's actions do to its tasks: made, changed (on the version they were decided on), deleted.
    struct TaskChanges {
        var created: [String: SwarmTask] = [:]
        var changed: [String: SwarmTask] = [:]
        var deleted: [String] = []
        /// The tasks the actions change or delete, as they were decided on, by ID (their versions guard the
        /// writes). Only those: the reaper's actions concern a few of a round's 100,000 tasks, and indexing them
        /// all was a tenth of the leader's time in the round after a loss of nodes.
        let current: [String: Versioned<TaskMessage>]

        init(_ actions: [OrchestratorAction], current tasks: [Versioned<TaskMessage>], now: Date) {
            var touched = Set<String>(minimumCapacity: actions.count)
            for action in actions {
                switch action {
                case .create: continue
                case .setDesiredState(let id, _), .delete(let id): touched.insert(id)
                }
            }
            var current: [String: Versioned<TaskMessage>] = [:]
            if !touched.isEmpty {
                current.reserveCapacity(touched.count)
                for stored in tasks where touched.contains(stored.id) && current[stored.id] == nil {
                    current[stored.id] = stored
                }
            }
            self.current = current
            for action in actions {
                switch action {
                case .create(let task):
                    created[task.id] = task
                case .setDesiredState(let id, let state):
                    if created[id] != nil {
                        created[id]?.desiredState = state
                    } else if var task = changed[id] ?? current[id].map(SwarmTask.init) {
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
    func taskWrites(_ changes: TaskChanges) throws -> [TaskWrite] {
        var result: [TaskWrite] = []
        for task in changes.created.values.sorted(by: { $0.id < $1.id }) {
            let stored = task.stored
            result.append(TaskWrite(write: try tasks.create(stored), stored: (stored, task)))
        }
        for task in changes.changed.values.sorted(by: { $0.id < $1.id }) {
            guard let existing = changes.current[task.id] else { continue }
            let stored = task.stored
            result.append(TaskWrite(write: try tasks.update(stored, ifVersion: existing.version),
                                    stored: (stored, task), createRevision: existing.createRevision))
        }
        for id in changes.deleted.sorted() {
            guard let version = changes.current[id]?.version else { continue }
            result.append(TaskWrite(write: try tasks.delete(id, ifVersion: version), deleted: id))
        }
        return result
    }
}
