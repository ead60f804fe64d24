import Foundation
import ShoalCA
import ShoalCore
import ShoalModel

/// How managers issue node certificates at this moment. Normally the root signs, and a certificate carries the
/// cross-signed roots of earlier rotations (`CertificateAuthority.cross_signed_pems`), so that an etcd member
/// that still trusts an earlier root (etcd reads its trusted CA file at start only) accepts it. While a root
/// rotation runs the next root signs, and its certificate cross-signed by the current root comes first: nodes
/// that trust only the current root accept the new certificates, and nodes trust both roots. When the spec names
/// external CAs for the signing root (`--external-ca`), they sign, as swarmkit tries them first; the root's key,
/// if the store has one, signs only when there are none.
struct NodeSigner: Sendable {
    let root: RootCA
    /// The external CAs for `root`; nil: `root` signs here.
    var external: (any ExternalSigning)? = nil
    /// PEM certificates that follow the leaf.
    let intermediates: [String]
    /// What nodes must hold in `ca.crt`.
    let trustRootsPEM: String
    /// The cluster's trust root (`TLSInfo.TrustRoot`): the current root, also while a rotation runs.
    let clusterTrustRoot: String

    /// How many earlier roots' cross-signatures certificates carry: a member that missed more rotations than
    /// this without a restart no longer accepts its peers.
    static let keptCrossSignatures = 4

    var issuer: CertificateIssuer {
        guard let der = try? root.issuerDER() else { return CertificateIssuer() }
        return CertificateIssuer(subject: Data(der.subject), publicKey: Data(der.publicKey))
    }

    var trustRootsDigest: String { TrustBundle.digest(of: trustRootsPEM) }

    /// The chain for `csrPEM` (leaf, then `intermediates`).
    /// With an external CA, its chain stands for the leaf and the certificate's lifetime is the external CA's.
    func sign(csr csrPEM: String, nodeID: String, role: NodeRole, clusterID: String, host: String,
              validity: TimeInterval) async throws -> String {
        let addresses = host.isEmpty ? [] : role == .manager ? [host, "127.0.0.1"] : [host]
        guard let external else {
            let leaf = try root.sign(csr: csrPEM, nodeID: nodeID, role: role, clusterID: clusterID,
                                     ipAddresses: addresses, validity: .seconds(Int64(validity)))
            return NodeSigner.bundle([leaf] + intermediates)
        }
        let request = try root.externalSignRequest(csr: csrPEM, nodeID: nodeID, role: role, clusterID: clusterID,
                                                   ipAddresses: addresses)
        let chain = try root.acceptExternal(try await external.sign(request), for: request)
        return NodeSigner.bundle(chain + intermediates)
    }

    /// PEM blocks one after another, each ending its line (a single block is kept as it is, so `ca.crt` of a
    /// cluster that never rotated stays byte for byte what it was).
    static func bundle(_ blocks: [String]) -> String {
        guard blocks.count > 1 else { return blocks.first ?? "" }
        return blocks.map { $0.hasSuffix("\n") ? $0 : $0 + "\n" }.joined()
    }

    /// The roots nodes hold for the cluster as `info` describes it.
    static func trustRoots(_ info: SwarmInfo) -> String {
        let next = info.rotationRootCACertificate
        return bundle([info.rootCACertificate] + (next.isEmpty ? [] : [next]))
    }
}

extension SwarmObjects {
    /// The signer as the store describes it now, for the cluster object `info` the caller read (nil: read here);
    /// `identity` is what this manager presents to external CAs.
    func signer(for info: SwarmInfo? = nil, identity: TLSFiles? = nil) async throws -> NodeSigner {
        let authority = try await storedAuthority().object
        let info = if let info { info } else { try await cluster() }
        let trust = NodeSigner.trustRoots(info)
        let rotating = !authority.rotationCertificatePem.isEmpty
        let root = try RootCA(
            certificatePEM: rotating ? authority.rotationCertificatePem : authority.certificatePem,
            keyPEM: try openedCAKey(rotating ? authority.rotationKeyPem : authority.keyPem))
        let urls = ExternalCAs.urls(for: root, in: info.spec, currentRootPEM: info.rootCACertificate)
        return NodeSigner(
            root: root,
            external: urls.isEmpty ? nil : CFSSLClient(urls: urls, trustedRootsPEM: trust, identity: identity),
            intermediates: (rotating ? [info.rotationCrossSignedCertificate] : []) + authority.crossSignedPems,
            trustRootsPEM: trust, clusterTrustRoot: info.rootCACertificate)
    }
}
