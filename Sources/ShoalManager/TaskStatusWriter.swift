import Foundation
import Logging
import ShoalClusterProto
import ShoalClusterStore
import ShoalCore
import ShoalModel

/// The leader's writer of the states the nodes report for their tasks. A session hands over what its node
/// reported and goes on at once; the writer stores, in one transaction, everything gathered from every node
/// while its previous transaction was on its way. Many tasks starting at once on many nodes (each report a
/// message of its own) then cost a few commits instead of one each, and the pipeline, which each commit wakes,
/// runs a few rounds instead of hundreds.
///
/// What a transaction stores: only the node a task is assigned to reports on it, and states only move forward
/// (a late report of an earlier state is dropped); a write that meets a concurrent change of one of its tasks
/// (the pipeline's) is read and applied again. Writes that keep failing are kept for the next one; a deposed
/// leader drops them (the next leader hears every node's states again when its sessions start).
actor TaskStatusWriter {
    typealias Report = (taskID: String, nodeID: String, status: Shoal_Cluster_V1_TaskStatus)

    typealias Known = @Sendable (Set<String>) async -> [String: Versioned<TaskMessage>]

    private let store: any ClusterStore
    private let fence: LeaderFence
    private let logger: Logger
    /// The tasks as the leader last saw them (the pipeline's mirror): a write's first attempt starts from them
    /// and reads from the store only the tasks they lack or do not show on the reporting node yet. The copy may
    /// be behind; each write is conditional on the version it read, and a conflict makes the next attempt read
    /// the store. Without the copy, every reported task is read back from the store before its state is written.
    private let known: Known?
    /// What this writer stored lately, for the attempts that start from the leader's copy before it shows them (a
    /// node reports its task's next state while the copy still shows the one before); kept for `recentWrites`.
    private var wrote: [String: (stored: Versioned<TaskMessage>, at: ContinuousClock.Instant)] = [:]
    private var lastSweep = ContinuousClock.now
    /// By node and task: a later report of a task by a node replaces its earlier one (a node reports in order);
    /// a report by another node (which the write ignores) never hides the task's own node's.
    private var pending: [String: Report] = [:]
    private var writing = false
    private var idle: [CheckedContinuation<Void, Never>] = []

    static let attempts = 5
    /// Up to this many reports, each task is read alone; more, and they are read in transactions of gets.
    static let readOneByOne = 8
    /// A write that kept meeting changes waits this long before its reports are tried again.
    static let retryPause: Duration = .milliseconds(50)
    /// Writes that may fail for want of an answer from the store, in a row, before their reports are dropped.
    static let unavailableRetries = 20
    /// How long the writer remembers what it stored (well past the leader's copy's usual delay).
    static let recentWrites: Duration = .seconds(10)

    init(store: any ClusterStore, fence: LeaderFence, logger: Logger, known: Known? = nil) {
        self.store = store
        self.fence = fence
        self.logger = logger
        self.known = known
    }

    /// Takes `reports` of `nodeID` for the next transaction (started now when none is on its way).
    func submit(nodeID: String, _ reports: [Shoal_Cluster_V1_TaskStatusReport]) {
        for report in reports { pending[nodeID + "/" + report.taskID] = (report.taskID, nodeID, report.status) }
        guard !writing, !pending.isEmpty else { return }
        writing = true
        Task { await self.drain() }
    }

    /// Returns once everything submitted so far is written (or given up): tests.
    func settled() async {
        guard writing else { return }
        await withCheckedContinuation { idle.append($0) }
    }

    private func drain() async {
        var failures = 0
        while !pending.isEmpty {
            let batch = pending
            pending = [:]
            do {
                if try await !write(batch) {
                    // Still conflicting: kept, unless a newer report of the task came meanwhile.
                    pending.merge(batch) { newer, _ in newer }
                    try await Task.sleep(for: Self.retryPause)
                }
                failures = 0
            } catch let error as ShoalError where error.code == .unavailable
                && error.message == SwarmErrors.notLeaderMessage {
                logger.debug("task states: \(error.message)")
                pending = [:]
            } catch let error as ShoalError where error.code == .unavailable && failures < Self.unavailableRetries {
                // The store did not answer in time (a busy member): the reports are kept and tried again. Dropped,
                // they would be lost until each node's next session. A store gone for good (the term ended and its
                // client closed) is given up on after a few tries.
                failures += 1
                logger.warning("task states: \(batch.count) reports not stored yet: \(error.message)")
                pending.merge(batch) { newer, _ in newer }
                try? await Task.sleep(for: Self.retryPause)
            } catch {
                logger.warning("task states: \(batch.count) reports not stored: \(error)")
            }
        }
        writing = false
        for waiter in idle { waiter.resume() }
        idle = []
    }

    /// One transaction of `batch`; false when it met changes on every attempt.
    private func write(_ batch: [String: Report]) async throws -> Bool {
        let tasks = StoreTable<TaskMessage>(store)
        let taskIDs = Set(batch.values.map(\.taskID))
        for attempt in 0..<Self.attempts {
            // The first attempt starts from the leader's copy; the store is read for what it lacks, and for every
            // task after a conflict.
            var current = attempt == 0 ? await recalled(taskIDs) : [:]
            for report in batch.values where current[report.taskID]?.object.nodeID != report.nodeID {
                current[report.taskID] = nil
            }
            try await read(taskIDs.subtracting(current.keys), into: &current, from: tasks)
            // Each task's write stands alone (its own compare-and-swap): a large batch goes in parts, and after a
            // conflict the parts before it are stored (the next attempt finds their reports no longer advance).
            var writes: [StoreWrite] = []
            var written: [Versioned<TaskMessage>] = []
            let now = Date().nanoseconds
            for report in batch.values.sorted(by: { $0.taskID < $1.taskID }) {
                guard var task = current[report.taskID], task.object.nodeID == report.nodeID,
                      Self.advances(task.object.status, to: report.status) else { continue }
                task.object.status = report.status
                task.object.updatedAtNs = now
                writes.append(try tasks.update(task.object, ifVersion: task.version))
                written.append(task)
            }
            if writes.isEmpty { return true }
            switch try await fence.commit(each: writes, in: store) {
            case .committed(let revisions):
                remember(zip(written, revisions).map { task, revision in
                    Versioned(object: task.object, version: revision, createRevision: task.createRevision)
                })
                return true
            case .conflicted: continue
            case .deposed: throw ShoalError(.unavailable, SwarmErrors.notLeaderMessage)
            }
        }
        return false
    }

    /// `taskIDs` as the leader's copy shows them, or as this writer stored them when that is newer.
    private func recalled(_ taskIDs: Set<String>) async -> [String: Versioned<TaskMessage>] {
        var current = await known?(taskIDs) ?? [:]
        for id in taskIDs {
            guard let recent = wrote[id] else { continue }
            if recent.stored.version > current[id]?.version ?? 0 {
                current[id] = recent.stored
            } else {
                wrote[id] = nil
            }
        }
        return current
    }

    private func remember(_ stored: [Versioned<TaskMessage>]) {
        let now = ContinuousClock.now
        if now - lastSweep > Self.recentWrites {
            wrote = wrote.filter { now - $0.value.at < Self.recentWrites }
            lastSweep = now
        }
        for task in stored { wrote[task.object.id] = (task, now) }
    }

    /// Only the reported tasks are read (in transactions of gets): a batch of a few thousand reports on a table of
    /// 100,000 tasks must not read the table.
    private func read(_ taskIDs: Set<String>, into current: inout [String: Versioned<TaskMessage>],
                      from tasks: StoreTable<TaskMessage>) async throws {
        if taskIDs.count > Self.readOneByOne {
            current.merge(try await tasks.get(taskIDs.sorted())) { _, read in read }
        } else {
            for taskID in taskIDs { current[taskID] = try await tasks.get(taskID) }
        }
    }

    /// A report moves a task on: a later state, or news of the same one (a container's exit code, a message).
    static func advances(_ current: Shoal_Cluster_V1_TaskStatus, to reported: Shoal_Cluster_V1_TaskStatus) -> Bool {
        let now = TaskState(rawValue: current.state) ?? .new
        let told = TaskState(rawValue: reported.state) ?? .new
        if told != now { return told > now }
        var same = reported
        same.timestampNs = current.timestampNs
        return same != current
    }
}
