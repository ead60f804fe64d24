import GRPCCore
import ShoalCore
import ShoalProto

/// Dispatcher on the control API: a node's session. Every heartbeat the node sends is answered with the session
/// parameters (heartbeat period, managers), so a changed period reaches the node at its next heartbeat. Nodes
/// of this cluster only (mutual TLS).
struct DispatcherService: Shoal_Cluster_V1_Dispatcher.SimpleServiceProtocol {
    let manager: SwarmManager

    func session(request: RPCAsyncSequence<Shoal_Cluster_V1_Heartbeat, any Error>,
                 response: RPCWriter<Shoal_Cluster_V1_SessionMessage>, context: ServerContext) async throws
    {
        let caller = PeerIdentity.node(context)
        try await ControlErrors.mapping {
            do {
                try await response.write(Self.message(try await manager.heartbeat(from: caller)))
            } catch let error as ShoalError where error.message == SwarmErrors.notLeaderMessage {
                // A follower tells the node every manager before it refuses, so a node that joined through a
                // follower finds the leader.
                try await response.write(Self.message(await manager.followerParameters()))
                throw error
            }
            for try await _ in request {
                try await response.write(Self.message(try await manager.heartbeat(from: caller)))
            }
        }
    }

    static func message(_ parameters: SessionParameters) -> Shoal_Cluster_V1_SessionMessage {
        var message = Shoal_Cluster_V1_SessionMessage()
        message.heartbeatPeriodMs = Int64(parameters.heartbeatPeriod.components.seconds * 1000
            + parameters.heartbeatPeriod.components.attoseconds / 1_000_000_000_000_000)
        message.managers = parameters.managers.map { manager in
            var entry = Shoal_Cluster_V1_Manager()
            entry.nodeID = manager.nodeID
            entry.address = manager.address
            return entry
        }
        message.role = parameters.role?.rawValue ?? ""
        return message
    }
}
