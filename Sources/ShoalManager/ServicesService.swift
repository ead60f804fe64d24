import GRPCCore
import ShoalClusterProto
import ShoalModel

/// Services on the control API: managers only. Every write runs on the leader (a follower refuses with "not the
/// leader" and the caller tries the next manager); the answers carry Docker's words, which callers keep.
struct ServicesService: Shoal_Cluster_V1_Services.SimpleServiceProtocol {
    let manager: ManagerNode

    func createService(request: Shoal_Cluster_V1_CreateServiceRequest, context: ServerContext) async throws
        -> Shoal_Cluster_V1_ServiceReply
    {
        let caller = PeerIdentity.node(context)
        return try await ControlErrors.mapping {
            try await manager.checkCaller(caller, access: .managers)
            return Self.reply(try await manager.requireLeader().services.create(
                ServiceSpec(request.spec), registryAuth: request.registryAuth))
        }
    }

    func updateService(request: Shoal_Cluster_V1_UpdateServiceRequest, context: ServerContext) async throws
        -> Shoal_Cluster_V1_ServiceReply
    {
        let caller = PeerIdentity.node(context)
        return try await ControlErrors.mapping {
            try await manager.checkCaller(caller, access: .managers)
            let services = try await manager.requireLeader().services
            if request.rollback {
                return Self.reply(try await services.rollback(request.reference, version: request.version))
            }
            return Self.reply(try await services.update(request.reference, version: request.version,
                                                        spec: ServiceSpec(request.spec),
                                                        registryAuth: request.registryAuth))
        }
    }

    func removeService(request: Shoal_Cluster_V1_RemoveServiceRequest, context: ServerContext) async throws
        -> Shoal_Cluster_V1_RemoveServiceReply
    {
        let caller = PeerIdentity.node(context)
        return try await ControlErrors.mapping {
            try await manager.checkCaller(caller, access: .managers)
            try await manager.requireLeader().services.remove(request.reference)
            return Shoal_Cluster_V1_RemoveServiceReply()
        }
    }

    static func reply(_ service: SwarmService) -> Shoal_Cluster_V1_ServiceReply {
        var reply = Shoal_Cluster_V1_ServiceReply()
        reply.service = service.stored
        reply.version = service.version
        return reply
    }
}
