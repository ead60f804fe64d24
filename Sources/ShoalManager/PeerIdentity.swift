import GRPCCore
import GRPCNIOTransportHTTP2
import NIOCore
import NIOSSL
import ShoalCA
import SwiftASN1
import X509

/// The caller of a control API RPC as its TLS handshake proved it.
///
/// The transport cannot make client certificates optional (a joining node has none from the cluster yet), so the
/// server requests one always and `verify` decides: a certificate from this cluster's CA becomes the validated
/// chain (the caller is that node), anything else — a joining node's throwaway certificate — is accepted
/// without a chain (the caller is anonymous and `ControlAccess` lets it reach NodeCA only).
enum PeerIdentity {
    /// NIOSSL's custom verification: replaces the default chain check.
    /// A chain reaches the trusted roots through the intermediates the caller presented (during a root rotation:
    /// the next root cross-signed by the current one).
    static func verify(_ certificates: [NIOSSLCertificate], trust: TrustBundle, clusterID: String)
        -> NIOSSLVerificationResultWithMetadata
    {
        guard let leaf = certificates.first, let der = try? leaf.toDERBytes(),
              let node = try? NodeCertificate(der: der), node.clusterID == clusterID,
              (try? trust.verify(node, intermediatesDER: certificates.dropFirst().compactMap { try? $0.toDERBytes() }))
                != nil else {
            return .certificateVerified(VerificationMetadata(nil))
        }
        return .certificateVerified(VerificationMetadata(ValidatedCertificateChain([leaf])))
    }

    /// The node that called, or nil for an anonymous caller.
    static func node(_ context: ServerContext) -> NodeCertificate? {
        guard let specific = context.transportSpecific as? HTTP2ServerTransport.Posix.Context,
              let chain = specific.peerCertificateChain else { return nil }
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(chain.leaf)) != nil else { return nil }
        return try? NodeCertificate(der: serializer.serializedBytes)
    }

    /// The host part of gRPC's peer text (`ipv4:10.0.0.2:51234`, `ipv6:[fd00::2]:51234`).
    static func host(_ peer: String) -> String {
        var text = Substring(peer)
        for scheme in ["ipv4:", "ipv6:"] where text.hasPrefix(scheme) { text = text.dropFirst(scheme.count) }
        if text.hasPrefix("["), let end = text.firstIndex(of: "]") { return String(text[text.index(after: text.startIndex)..<end]) }
        if let colon = text.lastIndex(of: ":") { return String(text[..<colon]) }
        return String(text)
    }
}
