import GRPCCore
import ShoalClusterClient
import ShoalModel
import ShoalClusterProto

/// NodeCA on the control API: hands out the root CA and node certificates. Anyone may call it (a joining node has
/// no certificate yet); the join token is the credential, checked by the manager.
struct NodeCAService: Shoal_Cluster_V1_NodeCA.SimpleServiceProtocol {
    let manager: ManagerNode

    func getRootCA(request: Shoal_Cluster_V1_GetRootCARequest, context: ServerContext) async throws
        -> Shoal_Cluster_V1_GetRootCAResponse
    {
        var response = Shoal_Cluster_V1_GetRootCAResponse()
        response.certificatePem = try await ControlErrors.mapping { try await manager.rootCACertificatePEM() }
        return response
    }

    func issueNodeCertificate(request: Shoal_Cluster_V1_IssueNodeCertificateRequest, context: ServerContext)
        async throws -> Shoal_Cluster_V1_IssueNodeCertificateResponse
    {
        let joining = JoiningNode(
            token: request.token, csrPEM: request.csrPem, description: NodeDescription(request.description_p),
            advertiseAddress: request.advertiseAddress, observedHost: PeerIdentity.host(context.remotePeer),
            availability: NodeAvailability(rawValue: request.availability) ?? .active)
        let issued = try await ControlErrors.mapping { try await manager.issueNodeCertificate(joining) }
        return Self.response(issued)
    }

    func renewNodeCertificate(request: Shoal_Cluster_V1_RenewNodeCertificateRequest, context: ServerContext)
        async throws -> Shoal_Cluster_V1_IssueNodeCertificateResponse
    {
        let caller = PeerIdentity.node(context)
        let issued = try await ControlErrors.mapping {
            try await manager.renewNodeCertificate(from: caller, csrPEM: request.csrPem)
        }
        return Self.response(issued)
    }

    static func response(_ issued: IssuedNodeCertificate) -> Shoal_Cluster_V1_IssueNodeCertificateResponse {
        var response = Shoal_Cluster_V1_IssueNodeCertificateResponse()
        response.nodeID = issued.nodeID
        response.certificatePem = issued.certificatePEM
        response.rootCaPem = issued.rootCAPEM
        response.role = issued.role.rawValue
        response.clusterID = issued.clusterID
        return response
    }
}
