import Logging
import ShoalCA
import ShoalCore
import ShoalModel
import ShoalClusterProto

/// What a node gets from joining: its identity and the material to prove it (the key was made here and never
/// left the node).
public struct JoinedNode: Sendable {
    public var nodeID: String
    public var clusterID: String
    public var role: NodeRole
    public var rootCAPEM: String
    public var certificatePEM: String
    public var keyPEM: String

    public init(nodeID: String, clusterID: String, role: NodeRole, rootCAPEM: String, certificatePEM: String,
                keyPEM: String) {
        self.nodeID = nodeID
        self.clusterID = clusterID
        self.role = role
        self.rootCAPEM = rootCAPEM
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
    }
}

/// The joining side of `docker swarm join` (SwarmKit's `ca.DownloadRootCA` + `IssueNodeCertificate`): trust
/// nothing a manager says until the root CA it hands over has the digest the token pins; then send a CSR, over a
/// connection that verifies the manager against that CA, and check the certificate that comes back.
public enum NodeJoin {
    public static func join(token text: String, managers: [String], description: NodeDescription,
                            advertiseAddress: String, availability: NodeAvailability,
                            logger: Logger) async throws -> JoinedNode {
        let token: JoinToken
        do {
            token = try JoinToken.parse(text)
        } catch {
            throw ShoalError.invalidArgument("invalid join token", cause: error)
        }
        var lastError: ShoalError?
        for address in managers {
            do {
                return try await join(at: address, token: token, description: description,
                                      advertiseAddress: advertiseAddress, availability: availability)
            } catch let error as ShoalError where error.code == .unavailable {
                logger.warning("swarm join: manager \(address) unavailable: \(error)")
                lastError = error
            }
        }
        throw lastError ?? ShoalError.invalidArgument("no manager address to join")
    }

    static func join(at address: String, token: JoinToken, description: NodeDescription, advertiseAddress: String,
                     availability: NodeAvailability) async throws -> JoinedNode {
        let anonymous = try anonymousIdentity()

        let probe = try ControlChannel(address: address, trust: .anyServer, identity: anonymous)
        let rootPEM: String
        do {
            rootPEM = try await probe.nodeCA.getRootCA(Shoal_Cluster_V1_GetRootCARequest(),
                                                       options: ControlChannel.options()).certificatePem
            await probe.shutdown()
        } catch {
            await probe.shutdown()
            throw RemoteError.shoal(error, address: address)
        }
        let root = try RootCA(certificatePEM: rootPEM)
        try token.verifyRemoteCA(root)

        let key = NodeKey.generate()
        var request = Shoal_Cluster_V1_IssueNodeCertificateRequest()
        request.token = token.text
        request.csrPem = try key.makeCSR()
        request.description_p = description.message
        request.advertiseAddress = advertiseAddress
        request.availability = availability.rawValue
        let channel = try ControlChannel(address: address, trust: .rootCA(rootPEM), identity: anonymous)
        let response: Shoal_Cluster_V1_IssueNodeCertificateResponse
        do {
            response = try await channel.nodeCA.issueNodeCertificate(request, options: ControlChannel.options())
            await channel.shutdown()
        } catch {
            await channel.shutdown()
            throw RemoteError.shoal(error, address: address)
        }
        // During a root rotation the certificate comes from the next root, with its cross-signature by this one.
        let certificate = try TrustBundle(pem: root.certificatePEM).verify(chainPEM: response.certificatePem)
        guard key.matches(certificate), certificate.nodeID == response.nodeID else {
            throw ShoalError(.permissionDenied, "the manager returned a certificate that is not for this node")
        }
        return JoinedNode(nodeID: response.nodeID, clusterID: certificate.clusterID, role: certificate.role,
                          rootCAPEM: rootPEM, certificatePEM: response.certificatePem, keyPEM: key.pem)
    }

    /// A throwaway client identity for the join handshake: the manager's TLS asks every client for a certificate,
    /// and one from no cluster makes the caller anonymous (NodeCA only). It is a leaf signed by a throwaway CA
    /// because BoringSSL refuses a CA certificate (no digitalSignature usage) as a TLS identity.
    static func anonymousIdentity() throws -> ControlChannel.Identity {
        let issuer = try RootCA.create(validity: .seconds(3600))
        let key = NodeKey.generate()
        let certificate = try issuer.sign(csr: try key.makeCSR(), nodeID: RandomID.generate(), role: .worker,
                                          clusterID: "joining", validity: .seconds(3600))
        return ControlChannel.Identity(certificatePEM: certificate, keyPEM: key.pem)
    }
}
