#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import SwiftASN1
import X509

/// The cluster's root certificate authority: a self-signed P-256 certificate (CN `swarm-ca`) and, on managers
/// that sign, its private key. Workers and joining nodes hold it without the key, as a trust anchor.
public struct RootCA: Sendable {
    let certificate: Certificate
    let privateKey: P256.Signing.PrivateKey?

    /// The certificate exactly as it was created or loaded; the digest is computed over these bytes.
    public let certificateDER: [UInt8]

    /// SHA-256 of `certificateDER`; join tokens pin it.
    public let digest: CADigest

    /// True when this value holds the CA key and so can `sign` CSRs.
    public var canSign: Bool { privateKey != nil }

    /// The CA's subject and SubjectPublicKeyInfo, DER: what Docker shows as a node's or the cluster's
    /// `TLSInfo.CertIssuerSubject` and `CertIssuerPublicKey`.
    public func issuerDER() throws -> (subject: [UInt8], publicKey: [UInt8]) {
        var subject = DER.Serializer()
        try subject.serialize(certificate.subject)
        var publicKey = DER.Serializer()
        try publicKey.serialize(certificate.publicKey)
        return (subject.serializedBytes, publicKey.serializedBytes)
    }

    public var notBefore: Date { certificate.notValidBefore }
    public var notAfter: Date { certificate.notValidAfter }

    /// The certificate as PEM (`-----BEGIN CERTIFICATE-----`), e.g. etcd's `--trusted-ca-file`.
    public var certificatePEM: String { PEMDocument(type: "CERTIFICATE", derBytes: certificateDER).pemString }

    /// The CA key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), or nil on a node that only trusts the CA.
    public var keyPEM: String? { privateKey?.pemRepresentation }

    /// A root CA without its key: the same trust anchor, unable to sign (what workers keep).
    public var withoutKey: RootCA {
        RootCA(certificate: certificate, der: certificateDER, privateKey: nil)
    }

    private init(certificate: Certificate, der: [UInt8], privateKey: P256.Signing.PrivateKey?) {
        self.certificate = certificate
        self.certificateDER = der
        self.digest = CADigest(of: der)
        self.privateKey = privateKey
    }

    /// A new root CA, as `docker swarm init` makes one: fresh ECDSA P-256 key, self-signed, CN `swarm-ca`,
    /// CA basic constraints and keyUsage certSign+cRLSign, valid from `now` (backdated by
    /// `CADefaults.certificateBackdate`) for `validity`.
    public static func create(now: Date = Date(), validity: Duration = CADefaults.rootCAValidity) throws -> RootCA {
        let key = P256.Signing.PrivateKey()
        let signingKey = Certificate.PrivateKey(key)
        let name = try DistinguishedName { CommonName(CADefaults.rootCommonName) }
        let start = now.wholeSeconds
        do {
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: signingKey.publicKey)
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: signingKey.publicKey,
                notValidBefore: start.addingTimeInterval(-CADefaults.certificateBackdate.timeInterval),
                notValidAfter: start.addingTimeInterval(validity.timeInterval),
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: signingKey
            )
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            return RootCA(certificate: certificate, der: serializer.serializedBytes, privateKey: key)
        } catch {
            throw CAError.internalError("failed to create root CA certificate", cause: error)
        }
    }

    /// Loads a root CA from PEM: the certificate and, on a signing manager, its key (PKCS#8 or SEC1 PEM).
    /// Refuses a certificate that is not a self-signed CA and a key that is not the certificate's.
    public init(certificatePEM: String, keyPEM: String? = nil) throws {
        let der: [UInt8]
        let certificate: Certificate
        do {
            let documents = try PEMDocument.parseMultiple(pemString: certificatePEM)
                .filter { $0.discriminator == "CERTIFICATE" }
            guard documents.count == 1 else {
                throw CAError.invalidArgument(
                    "invalid root CA certificate: expected one CERTIFICATE block, found \(documents.count)")
            }
            der = documents[0].derBytes
            certificate = try Certificate(derEncoded: der)
        } catch let error as CAError {
            throw error
        } catch {
            throw CAError.invalidArgument("invalid root CA certificate", cause: error)
        }
        try Self.validateRoot(certificate)

        var key: P256.Signing.PrivateKey?
        if let keyPEM {
            do {
                key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
            } catch {
                throw CAError.invalidArgument("invalid root CA key: expected an ECDSA P-256 key in PEM", cause: error)
            }
            guard Certificate.PublicKey(key!.publicKey) == certificate.publicKey else {
                throw CAError.invalidArgument("root CA key does not match the root CA certificate")
            }
        }
        self.init(certificate: certificate, der: der, privateKey: key)
    }

    /// A root must sign itself and be allowed to sign certificates, as SwarmKit's `NewRootCA` checks.
    private static func validateRoot(_ certificate: Certificate) throws {
        guard certificate.issuer == certificate.subject,
            certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
        else {
            throw CAError.invalidArgument("invalid root CA certificate: it is not self-signed")
        }
        guard case .isCertificateAuthority = try? certificate.extensions.basicConstraints else {
            throw CAError.invalidArgument("invalid root CA certificate: it is not a CA certificate")
        }
        if let usage = try? certificate.extensions.keyUsage, !usage.keyCertSign {
            throw CAError.invalidArgument("invalid root CA certificate: its key usage does not allow signing certificates")
        }
    }
}
