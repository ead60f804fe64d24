import Crypto
import SwiftASN1
import X509

/// A node's private key (ECDSA P-256). It is made on the node and never leaves it: the node sends only a CSR.
public struct NodeKey: Sendable {
    let privateKey: P256.Signing.PrivateKey

    /// A fresh key from the system's cryptographic generator.
    public static func generate() -> NodeKey { NodeKey(privateKey: P256.Signing.PrivateKey()) }

    init(privateKey: P256.Signing.PrivateKey) { self.privateKey = privateKey }

    /// Loads a key from PEM (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`).
    public init(pem: String) throws {
        do {
            privateKey = try P256.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            throw CAError.invalidArgument("invalid node key: expected an ECDSA P-256 key in PEM", cause: error)
        }
    }

    /// The key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), what etcd's `--key-file` and gRPC expect.
    public var pem: String { privateKey.pemRepresentation }

    /// A PEM CSR (`-----BEGIN CERTIFICATE REQUEST-----`) for this key, signed by it. The CA ignores the subject
    /// and decides the node's identity itself; `commonName` only helps a human reading the CSR.
    public func makeCSR(commonName: String = RandomID.generate()) throws -> String {
        do {
            let csr = try CertificateSigningRequest(
                version: .v1,
                subject: DistinguishedName { CommonName(commonName) },
                privateKey: Certificate.PrivateKey(privateKey),
                attributes: CertificateSigningRequest.Attributes(),
                signatureAlgorithm: .ecdsaWithSHA256
            )
            return try csr.serializeAsPEM().pemString
        } catch {
            throw CAError.internalError("failed to create certificate signing request", cause: error)
        }
    }

    /// True when `certificate` was issued for this key (a node checks this before installing a new certificate).
    public func matches(_ certificate: NodeCertificate) -> Bool {
        Certificate.PublicKey(privateKey.publicKey) == certificate.certificate.publicKey
    }
}
