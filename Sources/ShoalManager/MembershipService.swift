import GRPCCore
import ShoalClusterProto

/// Membership on the control API: managers only (a worker's certificate is refused by `ControlAccess.managers`).
struct MembershipService: Shoal_Cluster_V1_Membership.SimpleServiceProtocol {
    let manager: ManagerNode

    func addManager(request: Shoal_Cluster_V1_AddManagerRequest, context: ServerContext) async throws
        -> Shoal_Cluster_V1_AddManagerResponse
    {
        let caller = PeerIdentity.node(context)
        let members = try await ControlErrors.mapping {
            try await manager.addManager(from: caller, etcdPeerURL: request.etcdPeerURL,
                                         controlAddress: request.controlAddress)
        }
        var response = Shoal_Cluster_V1_AddManagerResponse()
        response.members = members.map { member in
            var entry = Shoal_Cluster_V1_EtcdMember()
            entry.name = member.name
            entry.peerURL = member.peerURL
            entry.clientURL = member.clientURL
            return entry
        }
        return response
    }
}
