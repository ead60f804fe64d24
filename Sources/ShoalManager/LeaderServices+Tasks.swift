import Foundation
import ShoalClusterProto
import ShoalClusterStore
import ShoalCore
import ShoalModel

/// The leader's side of a node's tasks (the dispatcher's): the assignments its session streams, and the states
/// its tasks reached, which it reports in batches.
extension LeaderServices {
    /// The assignments of `nodeID`'s session: the whole set first, then changes.
    func subscribeAssignments(nodeID: String)
        async -> (id: UUID, updates: AsyncStream<Shoal_Cluster_V1_Assignments>, feed: AssignmentFeed)
    {
        let feed = pipeline.assignments
        let (id, updates) = await feed.subscribe(nodeID: nodeID)
        return (id, updates, feed)
    }

    /// A batch of states `nodeID`'s tasks reached, in one transaction. Only the node a task is assigned to reports
    /// on it, and states only move forward (a late report of an earlier state is dropped); a batch that meets a
    /// concurrent change of one of its tasks is read and applied again.
    func recordTaskStatuses(nodeID: String, _ reports: [Shoal_Cluster_V1_TaskStatusReport]) async throws {
        var latest: [String: Shoal_Cluster_V1_TaskStatus] = [:]
        for report in reports { latest[report.taskID] = report.status }
        let tasks = StoreTable<TaskMessage>(objects.store)
        for _ in 0..<Self.statusAttempts {
            // A large batch (many tasks starting at once) reads the table once instead of a task at a time.
            var current: [String: Versioned<TaskMessage>] = [:]
            if latest.count > Self.readOneByOne {
                for stored in try await tasks.list() where latest[stored.id] != nil { current[stored.id] = stored }
            } else {
                for taskID in latest.keys { current[taskID] = try await tasks.get(taskID) }
            }
            var write = StoreWrite()
            for (taskID, status) in latest.sorted(by: { $0.key < $1.key }) {
                guard let stored = current[taskID], stored.object.nodeID == nodeID,
                      Self.advances(stored.object.status, to: status) else { continue }
                var task = stored.object
                task.status = status
                task.updatedAtNs = Date().nanoseconds
                write += try tasks.update(task, ifVersion: stored.version)
            }
            if write.changes.isEmpty { return }
            switch try await fence.commit(write, in: objects.store) {
            case .committed: return
            case .conflicted: continue
            case .deposed: throw ShoalError(.unavailable, SwarmErrors.notLeaderMessage)
            }
        }
        throw ShoalError.conflict("task status out of sequence")
    }

    static let statusAttempts = 5
    /// Up to this many reports, each task is read alone; more, and the whole table is read once.
    static let readOneByOne = 8

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
