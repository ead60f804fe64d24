import GRPCCore
import ShoalClusterProto
import ShoalCore

/// Logs on the control API. SubscribeLogs: managers only, on the leader (a follower refuses with "not the
/// leader", and the calling manager tries the next). PublishLogs: any node, for the subscriptions its session
/// carried; the lines are stamped with the caller's node ID, whatever the node claims.
struct LogsService: Shoal_Cluster_V1_Logs.SimpleServiceProtocol {
    let manager: ManagerNode

    func subscribeLogs(request: Shoal_Cluster_V1_SubscribeLogsRequest,
                       response: RPCWriter<Shoal_Cluster_V1_SubscribeLogsMessage>, context: ServerContext) async throws
    {
        let caller = PeerIdentity.node(context)
        try await ControlErrors.mapping {
            try await manager.checkCaller(caller, access: .managers)
            let leader = try await manager.requireLeader()
            let (id, batches) = try await leader.subscribeLogs(request)
            var incomplete: String?
            do {
                // gRPC tells a handler of a cancelled call (the calling manager's client left) through this, not
                // by cancelling its task: the subscription ends, and so does the loop.
                try await withRPCCancellationHandler {
                    for try await batch in batches {
                        var message = Shoal_Cluster_V1_SubscribeLogsMessage()
                        message.messages = batch
                        try await response.write(message)
                    }
                } onCancelRPC: {
                    Task { await leader.logs.cancel(id) }
                }
            } catch let error as ShoalError {
                incomplete = error.message
            } catch {
                // The caller left (or the call was cancelled): the nodes stop reading.
                await leader.logs.cancel(id)
                throw error
            }
            await leader.logs.cancel(id)
            if let incomplete {
                var message = Shoal_Cluster_V1_SubscribeLogsMessage()
                message.error = incomplete
                try await response.write(message)
            }
        }
    }

    func publishLogs(request: RPCAsyncSequence<Shoal_Cluster_V1_PublishLogsMessage, any Error>,
                     context: ServerContext) async throws -> Shoal_Cluster_V1_PublishLogsReply
    {
        let caller = PeerIdentity.node(context)
        return try await ControlErrors.mapping {
            let nodeID = try await manager.checkCaller(caller, access: .anyNode)
            let broker = try await manager.requireLeader().logs
            var subscription: String?
            do {
                for try await message in request {
                    subscription = message.subscriptionID
                    guard let publisher = await broker.publisher(nodeID: nodeID, subscription: message.subscriptionID)
                    else { break }
                    if !message.messages.isEmpty {
                        try await publisher.yieldWaiting(message.messages.map { line in
                            var line = line
                            line.context.nodeID = nodeID
                            return line
                        })
                    }
                    if message.close {
                        await broker.closed(nodeID: nodeID, subscription: message.subscriptionID, error: message.error)
                        subscription = nil
                        break
                    }
                }
            } catch is CancellationError {
                // The subscriber left: answering ends the node's reading.
            } catch {
                if let subscription {
                    await broker.closed(nodeID: nodeID, subscription: subscription,
                                        error: "node \(nodeID) stopped publishing: \(error)")
                }
                throw error
            }
            return Shoal_Cluster_V1_PublishLogsReply()
        }
    }
}
