#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import SwiftASN1
import X509

/// A person's certificate for the cluster endpoint (the credentials bundle's `cert.pem`), as opposed to a node's:
/// Subject `O=<clusterID>, OU=shoal-user, CN=<name>`, extended key usage clientAuth only, no SANs. The endpoint
/// admits these and nothing else the CA signed, so a node's certificate (which a worker holds on its disk) never
/// drives the cluster, and a bundle can be revoked by its serial number without touching any node.
public struct UserCertificate: Sendable, Equatable {
    /// The OU that tells a user's certificate from a node's (`swarm-manager`, `swarm-worker`).
    public static let organizationalUnit = "shoal-user"

    public let name: String
    public let clusterID: String
    /// The serial number as lowercase hex: what revocation lists.
    public let serial: String
    public let notAfter: Date
    let certificate: Certificate

    /// Reads a user certificate's identity from its DER bytes (a TLS handshake's leaf), or throws when it is not
    /// one (a node's certificate, garbage). It does not check the signature: the TLS handshake did, against the CA.
    public init(der: [UInt8]) throws {
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: der)
        } catch {
            throw CAError.invalidArgument("invalid certificate", cause: error)
        }
        try self.init(certificate)
    }

    /// The first CERTIFICATE of `pem`.
    public init(pem: String) throws {
        guard let leaf = try? PEMDocument.parseMultiple(pemString: pem).first(where: { $0.discriminator == "CERTIFICATE" })
        else { throw CAError.invalidArgument("invalid certificate: no CERTIFICATE block in PEM") }
        try self.init(der: leaf.derBytes)
    }

    init(_ certificate: Certificate) throws {
        let subject = certificate.subject
        func attribute(_ oid: ASN1ObjectIdentifier) -> String? {
            for rdn in subject {
                for item in rdn where item.type == oid { return item.value.description }
            }
            return nil
        }
        guard attribute(.RDNAttributeType.organizationalUnitName) == Self.organizationalUnit,
              let name = attribute(.RDNAttributeType.commonName),
              let clusterID = attribute(.RDNAttributeType.organizationName)
        else { throw CAError(.permissionDenied, "not a user certificate of this cluster") }
        self.name = name
        self.clusterID = clusterID
        serial = certificate.serialNumber.bytes.map { String(format: "%02x", $0) }.joined()
        notAfter = certificate.notValidAfter
        self.certificate = certificate
    }

    /// Whether `root` signed this certificate (a bundle of this cluster, not one that only claims to be).
    public func isIssued(by root: RootCA) -> Bool {
        certificate.issuer == root.certificate.subject
            && root.certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    /// Who may use the cluster endpoint: a user certificate (not a node's) of `clusterID`, not revoked.
    /// The chain and validity window were checked by the TLS handshake.
    public static func admits(der: [UInt8], clusterID: String, revoked: Set<String>) -> Bool {
        guard let user = try? UserCertificate(der: der) else { return false }
        return user.clusterID == clusterID && !revoked.contains(user.serial)
    }

    /// Throws the message a user sees for a name `isValidName` refuses.
    public static func checkName(_ name: String) throws {
        guard isValidName(name) else {
            throw CAError.invalidArgument("invalid user name \"\(name)\": use 1 to 64 letters, digits, '.', '_', '-' and '@'")
        }
    }

    /// A user name fit for a certificate's CN and a bundle's file names: 1 to 64 letters, digits, `.`, `_`, `-`, `@`.
    public static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || ".-_@".utf8.contains(byte)
            }
    }
}

extension RootCA {
    /// Signs a user's CSR (`shoal credentials`): only the CSR's public key is taken, after its self-signature
    /// proves the requester holds the key; the CA sets the subject (`UserCertificate`), clientAuth, and the
    /// validity from `now` (backdated as node certificates are) for `validity`.
    public func signUser(csr csrPEM: String, name: String, clusterID: String,
                         validity: Duration = CADefaults.userCertificateValidity, now: Date = Date()) throws -> String {
        guard canSign else {
            throw CAError(.invalidState, "this node cannot sign certificates: the root CA key is not available")
        }
        try UserCertificate.checkName(name)
        guard !clusterID.isEmpty else { throw CAError.invalidArgument("invalid cluster ID: it is empty") }
        let csr = try leafCSR(csrPEM)
        do {
            let subject = try Self.leafSubject(commonName: name, organizationalUnit: UserCertificate.organizationalUnit,
                                               clusterID: clusterID)
            return try issueLeaf(for: csr.publicKey, subject: subject, usage: [.clientAuth], names: [],
                                 validity: validity, now: now)
        } catch {
            throw CAError.internalError("failed to sign a user certificate", cause: error)
        }
    }
}
