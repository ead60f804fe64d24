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

    /// States `nodeID`'s tasks reached. They join the term's status writer, which stores whatever gathered from
    /// every node while its last transaction was on its way in the next one (see TaskStatusWriter).
    func recordTaskStatuses(nodeID: String, _ reports: [Shoal_Cluster_V1_TaskStatusReport]) async {
        await statusWriter.submit(nodeID: nodeID, reports)
        // The other nodes route to a task that runs as soon as its node says so, not a store write and a round
        // later (`tasks.NAME`, the VIP balancers).
        await feed.reported(reports.map { ($0.taskID, $0.status.state == TaskState.running.rawValue) })
    }
}
