#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SwiftASN1
import X509

/// The roots a node trusts (`ca.crt`): one root normally, the current and the next one while a root rotation
/// runs (`docker swarm ca --rotate`). A node certificate is trusted when a chain from it reaches one of the
/// roots through the intermediates it came with: a certificate from the next root carries that root
/// cross-signed by the current one, so a peer that still trusts only the current root accepts it.
public struct TrustBundle: Sendable {
    let roots: [Certificate]
    /// The bundle as it was given (what `ca.crt` holds).
    public let pem: String

    /// How many intermediates a chain may pass through (one per rotation a verifier missed).
    static let maximumDepth = 8

    public init(pem: String) throws {
        do {
            roots = try PEMDocument.parseMultiple(pemString: pem).filter { $0.discriminator == "CERTIFICATE" }
                .map { try Certificate(derEncoded: $0.derBytes) }
        } catch {
            throw CAError.invalidArgument("invalid trust roots", cause: error)
        }
        guard !roots.isEmpty else { throw CAError.invalidArgument("invalid trust roots: no CERTIFICATE block") }
        self.pem = pem
    }

    /// The bundle of `roots` (PEM certificates), in order.
    public init(roots: [String]) throws {
        try self.init(pem: roots.map { $0.hasSuffix("\n") ? $0 : $0 + "\n" }.joined())
    }

    /// SHA-256 (hex) of a bundle's text: what the leader tells a node its `ca.crt` should hash to.
    public static func digest(of pem: String) -> String {
        CADigest(of: Array(pem.utf8)).hex
    }

    /// The node certificate a chain (PEM: the leaf, then the intermediates it came with) stands for, once a path
    /// from it to one of the roots is found. Messages follow Go's x509 package.
    @discardableResult
    public func verify(chainPEM: String, at now: Date = Date()) throws -> NodeCertificate {
        let blocks: [PEMDocument]
        do {
            blocks = try PEMDocument.parseMultiple(pemString: chainPEM).filter { $0.discriminator == "CERTIFICATE" }
        } catch {
            throw CAError.invalidArgument("invalid node certificate", cause: error)
        }
        guard let leaf = blocks.first else {
            throw CAError.invalidArgument("invalid node certificate: no CERTIFICATE block in PEM")
        }
        let node = try NodeCertificate(der: leaf.derBytes)
        let intermediates = blocks.dropFirst().compactMap { try? Certificate(derEncoded: $0.derBytes) }
        try verify(node, intermediates: Array(intermediates), at: now)
        return node
    }

    /// Checks `node` as `verify(chainPEM:)` does, with the intermediates a TLS peer presented.
    public func verify(_ node: NodeCertificate, intermediatesDER: [[UInt8]], at now: Date = Date()) throws {
        try verify(node, intermediates: intermediatesDER.compactMap { try? Certificate(derEncoded: $0) }, at: now)
    }

    func verify(_ node: NodeCertificate, intermediates: [Certificate], at now: Date) throws {
        guard reachesRoot(node.certificate, through: intermediates, at: now, depth: 0) else {
            throw CAError(.permissionDenied, "x509: certificate signed by unknown authority")
        }
        try node.checkValidity(at: now)
    }

    private func reachesRoot(_ certificate: Certificate, through intermediates: [Certificate], at now: Date,
                             depth: Int) -> Bool {
        if roots.contains(where: { Self.issued(certificate, by: $0, at: now) }) { return true }
        guard depth < Self.maximumDepth else { return false }
        return intermediates.contains { issuer in
            issuer != certificate && Self.issued(certificate, by: issuer, at: now)
                && reachesRoot(issuer, through: intermediates, at: now, depth: depth + 1)
        }
    }

    /// `issuer` is a CA valid at `now` whose name and key signed `certificate`.
    static func issued(_ certificate: Certificate, by issuer: Certificate, at now: Date) -> Bool {
        guard certificate.issuer == issuer.subject,
              case .isCertificateAuthority = try? issuer.extensions.basicConstraints,
              issuer.notValidBefore <= now, now <= issuer.notValidAfter else { return false }
        return issuer.publicKey.isValidSignature(certificate.signature, for: certificate)
    }
}
