import Foundation
import ShoalClusterStore
import ShoalModel

/// The tasks table as the leader's task pipeline follows it (DESIGN §4b: a snapshot at revision R, then the watch
/// from R + 1), each task kept with its conversion to `SwarmTask`, made once per change. A pipeline round starts
/// from it instead of reading (and converting) every task from the store: at 100,000 tasks that read was seconds
/// of the leader's and the store's time each round.
///
/// It may lag the store by the watch's delay. Every write the pipeline makes is a compare-and-swap on the versions
/// it read, so a stale entry only costs a conflict and another round; what it must never miss is the pipeline's own
/// last commit (a round that did not see the tasks it just created would create them again), so a round waits
/// until the table has caught up with that revision (`tasks(atLeast:)`).
actor TaskTableCache {
    struct Entry: Sendable {
        var stored: Versioned<TaskMessage>
        var task: SwarmTask
    }

    private var entries: [String: Entry]?
    private var revision: Int64 = 0
    private var waiters: [UUID: (revision: Int64, continuation: CheckedContinuation<Bool, Never>)] = [:]

    /// A fresh snapshot (the follow started or restarted after a compaction).
    func reset(_ objects: [Versioned<TaskMessage>], revision: Int64) {
        entries = Dictionary(objects.map { ($0.id, Entry(stored: $0, task: SwarmTask($0))) },
                             uniquingKeysWith: { _, last in last })
        self.revision = revision
        resumeWaiters()
    }

    func apply(_ event: TableEvent<TaskMessage>) {
        switch event {
        case .put(let stored):
            entries?[stored.id] = Entry(stored: stored, task: SwarmTask(stored))
            revision = max(revision, stored.version)
        case .delete(let id, let eventRevision):
            entries?[id] = nil
            revision = max(revision, eventRevision)
        case .compacted:
            // The follow reads a new snapshot next.
            entries = nil
        }
        resumeWaiters()
    }

    /// Every task in ID order once the table has seen `revision` (waiting up to `patience`), or nil when it has no
    /// snapshot or has not caught up (the caller reads the store).
    func tasks(atLeast revision: Int64, patience: Duration = .seconds(2)) async -> [Entry]? {
        if entries == nil || self.revision < revision {
            let id = UUID()
            let caughtUp = await withCheckedContinuation { continuation in
                waiters[id] = (revision, continuation)
                Task {
                    try? await Task.sleep(for: patience)
                    self.expire(id)
                }
            }
            guard caughtUp else { return nil }
        }
        guard let entries else { return nil }
        return entries.keys.sorted().compactMap { entries[$0] }
    }

    private func resumeWaiters() {
        guard entries != nil else { return }
        for (id, waiter) in waiters where waiter.revision <= revision {
            waiters[id] = nil
            waiter.continuation.resume(returning: true)
        }
    }

    /// A waiter's patience ran out: it reads the store instead.
    private func expire(_ id: UUID) {
        waiters.removeValue(forKey: id)?.continuation.resume(returning: false)
    }
}
