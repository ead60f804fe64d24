import ShoalCA
import ShoalCore
import ShoalClusterProto

/// A store member as a manager reports it: the etcd member's name (a manager's node ID), peer and client URLs.
public struct StoreMember: Sendable, Equatable {
    public var name: String
    public var peerURL: String
    public var clientURL: String

    public init(name: String, peerURL: String, clientURL: String) {
        self.name = name
        self.peerURL = peerURL
        self.clientURL = clientURL
    }
}

/// The joining side of a manager join, after its certificate: ask a manager (mutual TLS, with the new manager
/// certificate) to add this node's etcd member, and learn the members it must start with.
public enum ManagerMembership {
    public static func addManager(managers: [String], rootCAPEM: String, identity: ControlChannel.Identity,
                                  etcdPeerURL: String, controlAddress: String) async throws -> [StoreMember] {
        var request = Shoal_Cluster_V1_AddManagerRequest()
        request.etcdPeerURL = etcdPeerURL
        request.controlAddress = controlAddress
        let response = try await ControlChannel.firstAnswering(managers, rootCAPEM: rootCAPEM, identity: identity) {
            channel in
            try await Shoal_Cluster_V1_Membership.Client(wrapping: channel.grpc)
                .addManager(request, options: ControlChannel.options(timeout: .seconds(30)))
        }
        return response.members.map { StoreMember(name: $0.name, peerURL: $0.peerURL, clientURL: $0.clientURL) }
    }

    /// The cluster's data key (DataKeys.GetDataKey), which a manager needs to seal and open secrets: asked of the
    /// managers once this node is recorded as one (after `addManager`), over mutual TLS with its manager
    /// certificate. Checked against the fingerprint the manager gives with it.
    public static func dataKey(managers: [String], rootCAPEM: String, identity: ControlChannel.Identity)
        async throws -> ClusterDataKey
    {
        let response = try await ControlChannel.firstAnswering(managers, rootCAPEM: rootCAPEM, identity: identity) {
            channel in
            try await Shoal_Cluster_V1_DataKeys.Client(wrapping: channel.grpc)
                .getDataKey(Shoal_Cluster_V1_GetDataKeyRequest(), options: ControlChannel.options())
        }
        let key = try ClusterDataKey(bytes: Array(response.key))
        guard key.id == response.keyID else {
            throw ShoalError.internalError("a manager sent a data key that does not match its fingerprint")
        }
        return key
    }
}

/// A node of the cluster renewing its certificate (before expiry, or to take the role the managers now want):
/// NodeCA.RenewNodeCertificate on the first manager that answers, with the node's current certificate as its
/// identity. The certificate that comes back is checked against the root CA and the new key.
public enum NodeRenewal {
    public struct Renewed: Sendable {
        public var certificatePEM: String
        public var keyPEM: String
        public var role: NodeRole
        /// The trust roots the node holds from now on (the current root, and the next one during a rotation).
        public var rootCAPEM: String
    }

    public static func renew(managers: [String], nodeID: String, rootCAPEM: String,
                             identity: ControlChannel.Identity) async throws -> Renewed {
        let key = NodeKey.generate()
        var request = Shoal_Cluster_V1_RenewNodeCertificateRequest()
        request.csrPem = try key.makeCSR(commonName: nodeID)
        let response = try await ControlChannel.firstAnswering(managers, rootCAPEM: rootCAPEM, identity: identity) {
            channel in
            try await channel.nodeCA.renewNodeCertificate(request, options: ControlChannel.options(timeout: .seconds(10)))
        }
        // Trusted through the roots the node holds now (a certificate from a next root carries that root
        // cross-signed by the current one).
        let certificate = try TrustBundle(pem: rootCAPEM).verify(chainPEM: response.certificatePem)
        guard certificate.nodeID == nodeID, key.matches(certificate) else {
            throw ShoalError.permissionDenied("a manager issued a certificate for another node or key")
        }
        // The roots that come back must lead to the certificate too, or the node would lock itself out.
        let roots = response.rootCaPem.isEmpty ? rootCAPEM : response.rootCaPem
        try TrustBundle(pem: roots).verify(chainPEM: response.certificatePem)
        return Renewed(certificatePEM: response.certificatePem, keyPEM: key.pem, role: certificate.role,
                       rootCAPEM: roots)
    }
}
