import ShoalClusterProto
import ShoalClusterStore
import ShoalModel

/// The leader's side of `docker service logs`: which nodes hold the selected tasks (the store's word now), for
/// the log broker to send the subscription to.
extension LeaderServices {
    func subscribeLogs(_ request: Shoal_Cluster_V1_SubscribeLogsRequest) async throws
        -> (id: String, batches: AsyncThrowingStream<LogBroker.Batch, any Error>)
    {
        let selector = TaskLogSelector(request.selector)
        let tasks = try await StoreTable<TaskMessage>(objects.store).list().map(SwarmTask.init)
        let nodes = Set(tasks.filter { !$0.nodeID.isEmpty && selector.selects(taskID: $0.id, serviceID: $0.serviceID) }
            .map(\.nodeID))
        return await logs.subscribe(selector: request.selector, options: request.options, nodes: nodes)
    }
}
