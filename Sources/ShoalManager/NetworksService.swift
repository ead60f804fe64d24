import GRPCCore
import ShoalAllocator
import ShoalCore
import ShoalClusterProto

/// Networks on the control API. Create and remove come from managers only; lookups and endpoints from any node
/// of the cluster, for itself (the node is the one its certificate names). Everything that allocates runs on the
/// leader: a follower refuses with "not the leader" and the caller tries the next manager.
struct NetworksService: Shoal_Cluster_V1_Networks.SimpleServiceProtocol {
    let manager: ManagerNode

    func createNetwork(request: Shoal_Cluster_V1_CreateNetworkRequest, context: ServerContext) async throws
        -> Shoal_Cluster_V1_NetworkReply
    {
        let caller = PeerIdentity.node(context)
        return try await ControlErrors.mapping {
            try await manager.checkCaller(caller, access: .managers)
            var reply = Shoal_Cluster_V1_NetworkReply()
            reply.network = try await manager.requireLeader().allocator.create(request.spec)
            return reply
        }
    }

    func removeNetwork(request: Shoal_Cluster_V1_RemoveNetworkRequest, context: ServerContext) async throws
        -> Shoal_Cluster_V1_RemoveNetworkReply
    {
        let caller = PeerIdentity.node(context)
        return try await ControlErrors.mapping {
            try await manager.checkCaller(caller, access: .managers)
            try await manager.requireLeader().allocator.remove(request.reference)
            return Shoal_Cluster_V1_RemoveNetworkReply()
        }
    }

    func getNetwork(request: Shoal_Cluster_V1_GetNetworkRequest, context: ServerContext) async throws
        -> Shoal_Cluster_V1_NetworkReply
    {
        let caller = PeerIdentity.node(context)
        return try await ControlErrors.mapping {
            try await manager.checkCaller(caller, access: .anyNode)
            var reply = Shoal_Cluster_V1_NetworkReply()
            reply.network = try await manager.storedNetwork(request.reference)
            return reply
        }
    }

    func attach(request: Shoal_Cluster_V1_AttachRequest, context: ServerContext) async throws
        -> Shoal_Cluster_V1_AttachReply
    {
        let caller = PeerIdentity.node(context)
        return try await ControlErrors.mapping {
            let nodeID = try await manager.checkCaller(caller, access: .anyNode)
            var reply = Shoal_Cluster_V1_AttachReply()
            reply.attachment = try await manager.requireLeader().attach(nodeID: nodeID, request)
            return reply
        }
    }

    func detach(request: Shoal_Cluster_V1_DetachRequest, context: ServerContext) async throws
        -> Shoal_Cluster_V1_DetachReply
    {
        let caller = PeerIdentity.node(context)
        return try await ControlErrors.mapping {
            let nodeID = try await manager.checkCaller(caller, access: .anyNode)
            try await manager.requireLeader().detach(nodeID: nodeID, attachmentID: request.attachmentID)
            return Shoal_Cluster_V1_DetachReply()
        }
    }

    func rename(request: Shoal_Cluster_V1_RenameRequest, context: ServerContext) async throws
        -> Shoal_Cluster_V1_AttachReply
    {
        let caller = PeerIdentity.node(context)
        return try await ControlErrors.mapping {
            let nodeID = try await manager.checkCaller(caller, access: .anyNode)
            var reply = Shoal_Cluster_V1_AttachReply()
            reply.attachment = try await manager.requireLeader().rename(nodeID: nodeID, request)
            return reply
        }
    }
}
