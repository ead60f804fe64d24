#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import SwiftASN1
import X509

/// What a root rotation (`docker swarm ca --rotate`) needs of the CA: the next root cross-signed by the current
/// one, and SwarmKit's checks of a root the user brings (`--ca-cert`, `--ca-key`).
extension RootCA {
    /// SwarmKit's `minRootExpiration`: a root the user brings must stay valid this long.
    public static let minimumDesiredRootValidity: TimeInterval = 365 * 24 * 3600

    /// `successor`'s certificate (same subject, key and key identifier) signed by this root: an intermediate
    /// that leads a verifier trusting only this root to the successor. Valid as long as the successor, within
    /// this root's own lifetime. PEM.
    public func crossSign(_ successor: RootCA, now: Date = Date()) throws -> String {
        guard let privateKey else {
            throw CAError(.invalidState, "this node cannot sign certificates: the root CA key is not available")
        }
        do {
            let publicKey = successor.certificate.publicKey
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier)
            }
            let crossSigned = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: max(successor.notBefore, notBefore), notValidAfter: min(successor.notAfter, notAfter),
                issuer: certificate.subject, subject: successor.certificate.subject,
                signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(privateKey))
            return try crossSigned.serializeAsPEM().pemString
        } catch {
            throw CAError.internalError("unable to generate a cross-signed certificate for root rotation", cause: error)
        }
    }

    /// A root the user asks to rotate to, checked as SwarmKit checks it (its messages): one certificate, a key
    /// that matches it when given, valid for at least a year from `now`.
    public static func desired(certificatePEM: String, keyPEM: String?, now: Date = Date()) throws -> RootCA {
        let blocks = (try? PEMDocument.parseMultiple(pemString: certificatePEM))?
            .filter { $0.discriminator == "CERTIFICATE" } ?? []
        if blocks.count > 1 {
            throw CAError.invalidArgument("the desired CA certificate cannot contain multiple certificates")
        }
        let root: RootCA
        do {
            root = try RootCA(certificatePEM: certificatePEM, keyPEM: keyPEM)
        } catch let error as CAError {
            throw CAError.invalidArgument(error.message)
        }
        guard root.notAfter >= now.addingTimeInterval(minimumDesiredRootValidity) else {
            throw CAError.invalidArgument("CA certificate expires too soon")
        }
        return root
    }

    /// True when `other` has this root's key (SwarmKit refuses to rotate to a certificate of the same key).
    public func hasSameKey(as other: RootCA) -> Bool { certificate.publicKey == other.certificate.publicKey }
}
