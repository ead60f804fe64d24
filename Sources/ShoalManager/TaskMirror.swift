import Foundation
import ShoalClusterStore
import ShoalModel

/// The leader's copy of the task table for one term (DESIGN §4b: a snapshot, then the watch): read once, then kept
/// by the table's watch, each task decoded and converted once per change instead of the whole table once per
/// round. At 100,000 tasks a read of the table costs seconds; a round now starts from the copy.
///
/// A round must see what the rounds before it stored, which the watch may not have delivered yet: `read(showing:)`
/// waits until the copy shows the pipeline's last writes, and gives up after a bound (the round then reads the
/// store itself, as without a copy). A watch that ends (a compaction, a store hiccup) makes a new read.
actor TaskMirror {
    private let table: StoreTable<TaskMessage>
    private let changed: @Sendable () -> Void
    private var tasks: [String: Entry] = [:]
    /// The revision of the last change applied (or of the snapshot).
    private var revision: Int64 = 0
    private var loaded = false
    /// The services whose tasks changed since the last read (nil: the table was read anew since).
    private var changedServices: Set<String>? = nil
    private var following: Task<Void, Never>?

    struct Entry {
        var stored: Versioned<TaskMessage>
        var task: SwarmTask
    }

    /// `changed` is called after each change is applied (the pipeline's wake).
    init(_ table: StoreTable<TaskMessage>, changed: @escaping @Sendable () -> Void) {
        self.table = table
        self.changed = changed
    }

    func start() {
        guard following == nil else { return }
        following = Task { await self.follow() }
    }

    func stop() {
        following?.cancel()
        following = nil
        tasks = [:]
        loaded = false
    }

    /// Every task, stored and converted, once the copy shows `written`, with the services whose tasks
    /// changed since the last read (nil: the table was read anew, every service may have); nil when the copy
    /// does not show `written` within `bound`.
    func read(showing written: TaskWrites, bound: Duration = .seconds(2)) async
        -> (tasks: TaskRead, changedServices: Set<String>?)?
    {
        guard await waitUntilShown(written, bound: bound) else { return nil }
        defer { changedServices = [] }
        // In no particular order: sorting 100,000 tasks cost a fifth of the leader's time.
        var read = TaskRead(stored: [], converted: [])
        read.stored.reserveCapacity(tasks.count)
        read.converted.reserveCapacity(tasks.count)
        for entry in tasks.values {
            read.stored.append(entry.stored)
            read.converted.append(entry.task)
        }
        return (read, changedServices)
    }

    /// Every task, converted, by ID, for the API's reads on the leader (`docker service ps` and anything that polls
    /// `GET /tasks`): no store read, no decoding. Once the copy shows `written` (the API's own task writes, so a
    /// client reads what it just did); nil when it does not within `bound`, or before the first read of the table.
    /// The pipeline's state (which services changed) is left as it is.
    ///
    /// Unlike a round's, these writes can be old: a task the removal marked is deleted later (the reaper), and
    /// then the copy shows the write by not holding the task. It held it before: the task was stored before the
    /// removal marked it, and a loaded copy at or past the removal's revision has either the marked version, a
    /// later one, or none.
    func tasks(showing written: TaskWrites, bound: Duration) async -> [SwarmTask]? {
        let shown = await waitUntil(bound: bound) { mirror in
            mirror.loaded && mirror.revision >= written.revision && written.stored.allSatisfy { id in
                (mirror.tasks[id]?.stored.version ?? written.revision) >= written.revision
            }
        }
        guard shown else { return nil }
        return tasks.values.map(\.task).sorted { $0.id < $1.id }
    }

    private func waitUntilShown(_ written: TaskWrites, bound: Duration) async -> Bool {
        await waitUntil(bound: bound) { $0.shows(written) }
    }

    private func waitUntil(bound: Duration, _ condition: (isolated TaskMirror) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + bound
        while !condition(self) {
            guard ContinuousClock.now < deadline, !Task.isCancelled else { return false }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return true
    }

    /// The tasks of `ids` the copy holds, as stored (none before the first read of the table). The copy may be
    /// behind the store: a write from it must be conditional on the version (a conflict says to read the store).
    func stored(_ ids: some Sequence<String>) -> [String: Versioned<TaskMessage>] {
        guard loaded else { return [:] }
        var found: [String: Versioned<TaskMessage>] = [:]
        for id in ids { if let entry = tasks[id] { found[id] = entry.stored } }
        return found
    }

    /// Events up to `written.revision` are applied in order, so only that revision's own writes can still be
    /// partly delivered: those are checked one by one.
    private func shows(_ written: TaskWrites) -> Bool {
        guard loaded, revision >= written.revision else { return false }
        return written.stored.allSatisfy { (tasks[$0]?.stored.version ?? 0) >= written.revision }
            && written.deleted.allSatisfy { tasks[$0] == nil }
    }

    private func follow() async {
        await table.follow(retryPause: TaskPipeline.retryPause,
                           snapshot: { await self.load($0) }, change: { await self.apply($0) })
    }

    private func load(_ snapshot: TableSnapshot<TaskMessage>) {
        var loaded: [String: Entry] = [:]
        loaded.reserveCapacity(snapshot.objects.count)
        for stored in snapshot.objects { loaded[stored.id] = Entry(stored: stored, task: SwarmTask(stored)) }
        tasks = loaded
        revision = snapshot.revision
        self.loaded = true
        changedServices = nil
        changed()
    }

    private func apply(_ change: TableChange<TaskMessage>) {
        switch change {
        case .put(let stored):
            tasks[stored.id] = Entry(stored: stored, task: SwarmTask(stored))
            revision = max(revision, stored.version)
            changedServices?.insert(stored.object.serviceID)
        case .delete(let id, let at):
            if let gone = tasks.removeValue(forKey: id) { changedServices?.insert(gone.stored.object.serviceID) }
            revision = max(revision, at)
        }
        changed()
    }
}

/// Every task as a round starts from: as stored (with versions) and converted, in the same order.
struct TaskRead: Sendable {
    var stored: [Versioned<TaskMessage>]
    var converted: [SwarmTask]
}

/// The last revision the pipeline stored tasks at, and the tasks it stored or deleted at it (see
/// `TaskMirror.read(showing:)`).
struct TaskWrites: Sendable, Equatable {
    var revision: Int64 = 0
    var stored: [String] = []
    var deleted: [String] = []

    mutating func record(revision: Int64, stored: [String] = [], deleted: [String] = []) {
        guard revision >= self.revision, !(stored.isEmpty && deleted.isEmpty) else { return }
        if revision > self.revision { self = TaskWrites(revision: revision) }
        self.stored += stored
        self.deleted += deleted
    }

    mutating func record(_ other: TaskWrites) {
        record(revision: other.revision, stored: other.stored, deleted: other.deleted)
    }
}
