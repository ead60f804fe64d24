import Crypto
import Foundation
import SwiftASN1
import Testing
import X509
@testable import ShoalCA

@Suite struct RootCATests {
    @Test func createMakesASelfSignedP256CA() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000.75)
        let root = try RootCA.create(now: now)
        let certificate = try Certificate(derEncoded: root.certificateDER)
        #expect(certificate.subject.description == "CN=swarm-ca")
        #expect(certificate.issuer == certificate.subject)
        #expect(P256.Signing.PublicKey(certificate.publicKey) != nil)
        #expect(certificate.signatureAlgorithm == .ecdsaWithSHA256)
        #expect(certificate.publicKey.isValidSignature(certificate.signature, for: certificate))
        #expect(try certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: nil))
        #expect(certificate.extensions[oid: .X509ExtensionID.basicConstraints]?.critical == true)
        let usage = try #require(try certificate.extensions.keyUsage)
        #expect(usage == KeyUsage(keyCertSign: true, cRLSign: true))
        // Backdated one hour, valid 20 years (630720000 s) from creation, whole seconds.
        #expect(root.notBefore == Date(timeIntervalSince1970: 1_800_000_000 - 3600))
        #expect(root.notAfter == Date(timeIntervalSince1970: 1_800_000_000 + 630_720_000))
        #expect(root.canSign)
    }

    @Test func digestIsSHA256OfTheDERCertificate() throws {
        let root = try RootCA.create()
        #expect(root.digest.bytes == Array(SHA256.hash(data: root.certificateDER)))
        let pem = try PEMDocument(pemString: root.certificatePEM)
        #expect(pem.derBytes == root.certificateDER)
        #expect(try RootCA.create().digest != root.digest)
    }

    @Test func pemRoundTripKeepsCertificateAndKey() throws {
        let root = try RootCA.create()
        let keyPEM = try #require(root.keyPEM)
        #expect(keyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let loaded = try RootCA(certificatePEM: root.certificatePEM, keyPEM: keyPEM)
        #expect(loaded.certificateDER == root.certificateDER)
        #expect(loaded.digest == root.digest)
        #expect(loaded.keyPEM == keyPEM)
        // The loaded key signs certificates the original verifies.
        let key = NodeKey.generate()
        let pem = try loaded.sign(csr: try key.makeCSR(), nodeID: RandomID.generate(), role: .worker, clusterID: "c")
        try NodeCertificate.parse(pem).verify(against: root.withoutKey)
    }

    @Test func loadsSEC1KeysToo() throws {
        let root = try RootCA.create()
        let sec1PEM = try PEMDocument(type: "EC PRIVATE KEY", derBytes: ecPrivateKeyDER(root))
        let loaded = try RootCA(certificatePEM: root.certificatePEM, keyPEM: sec1PEM.pemString)
        #expect(loaded.canSign)
    }

    @Test func certificateOnlyRootCannotSign() throws {
        let root = try RootCA(certificatePEM: try RootCA.create().certificatePEM)
        #expect(!root.canSign)
        #expect(root.keyPEM == nil)
        let error = caError {
            _ = try root.sign(csr: try NodeKey.generate().makeCSR(), nodeID: "n", role: .worker, clusterID: "c")
        }
        #expect(error?.code == .invalidState)
    }

    @Test func rejectsAKeyOfAnotherCA() throws {
        let root = try RootCA.create()
        let other = try RootCA.create()
        let error = caError { _ = try RootCA(certificatePEM: root.certificatePEM, keyPEM: other.keyPEM) }
        #expect(error?.message == "root CA key does not match the root CA certificate")
    }

    @Test func rejectsGarbageAndNonCACertificates() throws {
        #expect(caError { _ = try RootCA(certificatePEM: "hello") }?.code == .invalidArgument)
        #expect(caError { _ = try RootCA(certificatePEM: "") }?.code == .invalidArgument)
        let root = try RootCA.create()
        #expect(caError { _ = try RootCA(certificatePEM: root.certificatePEM, keyPEM: "junk") }?.code == .invalidArgument)
        // A node certificate is neither self-signed nor a CA.
        let fixture = try Fixture()
        let error = caError { _ = try RootCA(certificatePEM: fixture.chainPEM) }
        #expect(error?.message == "invalid root CA certificate: it is not self-signed")
        // Two certificates are ambiguous.
        let two = root.certificatePEM + "\n" + (try RootCA.create().certificatePEM)
        #expect(caError { _ = try RootCA(certificatePEM: two) }?.code == .invalidArgument)
    }

    @Test func rejectsSelfSignedNonCA() throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("swarm-ca") }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: Date(), notValidAfter: Date().addingTimeInterval(3600), issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { Critical(BasicConstraints.notCertificateAuthority) },
            issuerPrivateKey: .init(key))
        let pem = try certificate.serializeAsPEM().pemString
        #expect(caError { _ = try RootCA(certificatePEM: pem) }?.message == "invalid root CA certificate: it is not a CA certificate")
    }

    @Test func writesAndLoadsFiles() throws {
        let directory = try TemporaryDirectory()
        let root = try RootCA.create()
        try root.write(to: directory.url)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.path("ca.key"))
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let loaded = try RootCA.load(from: directory.url)
        #expect(loaded.digest == root.digest && loaded.canSign)

        let trustOnly = try TemporaryDirectory()
        try root.withoutKey.write(to: trustOnly.url)
        #expect(!FileManager.default.fileExists(atPath: trustOnly.path("ca.key")))
        #expect(try !RootCA.load(from: trustOnly.url).canSign)
    }

    /// The SEC1 `ECPrivateKey` inside the PKCS#8 document swift-crypto writes.
    private func ecPrivateKeyDER(_ root: RootCA) throws -> [UInt8] {
        let pkcs8 = try PEMDocument(pemString: try #require(root.keyPEM)).derBytes
        let outer = try DER.parse(pkcs8)
        guard case .constructed(let children) = outer.content else { throw CAError(.internalError, "not a sequence") }
        let nodes = Array(children)
        let octets = try ASN1OctetString(derEncoded: nodes[2])
        return Array(octets.bytes)
    }
}
