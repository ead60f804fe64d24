import Foundation
import SwiftASN1
import Testing
import X509
@testable import ShoalCA

@Suite struct SigningTests {
    @Test func workerCertificateCarriesTheIdentityTheCAChose() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000.5)
        let fixture = try Fixture(role: .worker, ipAddresses: ["10.0.0.2", "fd00::7"], now: now)
        let node = try NodeCertificate.parse(fixture.chainPEM)
        #expect(node.nodeID == fixture.nodeID)
        #expect(node.role == .worker)
        #expect(node.clusterID == Fixture.clusterID)
        #expect(node.dnsNames == ["swarm-worker", fixture.nodeID])
        #expect(node.ipAddresses == ["10.0.0.2", "fd00::7"])
        #expect(node.notBefore == Date(timeIntervalSince1970: 1_800_000_000 - 3600))
        #expect(node.notAfter == Date(timeIntervalSince1970: 1_800_000_000 + 90 * 86_400))
        #expect(fixture.key.matches(node))
        #expect(!NodeKey.generate().matches(node))
        try node.verify(against: fixture.root, at: now)
    }

    @Test func managerCertificateAlsoNamesTheCA() throws {
        let fixture = try Fixture(role: .manager, ipAddresses: [])
        let node = try NodeCertificate.parse(fixture.chainPEM)
        #expect(node.role == .manager)
        #expect(node.dnsNames == ["swarm-manager", fixture.nodeID, "swarm-ca"])
        #expect(node.ipAddresses.isEmpty)
    }

    @Test func extensionsAreThoseOfANodeCertificate() throws {
        let fixture = try Fixture()
        let certificate = try Certificate(pemEncoded: fixture.chainPEM)
        // RFC 4514 text lists the RDNs last first; in DER the order is O, OU, CN as in swarm certificates.
        #expect(certificate.subject.description == "CN=\(fixture.nodeID),OU=swarm-worker,O=\(Fixture.clusterID)")
        #expect(certificate.subject.map { $0.first?.type } == [
            .RDNAttributeType.organizationName, .RDNAttributeType.organizationalUnitName, .RDNAttributeType.commonName,
        ])
        #expect(certificate.issuer.description == "CN=swarm-ca")
        #expect(try certificate.extensions.keyUsage == KeyUsage(digitalSignature: true, keyEncipherment: true))
        #expect(try certificate.extensions.extendedKeyUsage == ExtendedKeyUsage([.serverAuth, .clientAuth]))
        #expect(try certificate.extensions.basicConstraints == .notCertificateAuthority)
        let root = try Certificate(derEncoded: fixture.root.certificateDER)
        #expect(
            try certificate.extensions.authorityKeyIdentifier?.keyIdentifier
                == root.extensions.subjectKeyIdentifier?.keyIdentifier)
    }

    @Test func validityIsTheCallers() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let fixture = try Fixture(now: now)
        let pem = try fixture.root.sign(
            csr: try fixture.key.makeCSR(), nodeID: fixture.nodeID, role: .worker, clusterID: "c",
            validity: .seconds(2 * 3600), now: now)
        #expect(try NodeCertificate.parse(pem).notAfter == now.addingTimeInterval(2 * 3600))
        let error = caError {
            _ = try fixture.root.sign(
                csr: try fixture.key.makeCSR(), nodeID: fixture.nodeID, role: .worker, clusterID: "c",
                validity: .seconds(3599))
        }
        #expect(error?.message == "minimum certificate expiry time is: 1h0m0s")
    }

    @Test func neverTrustsTheCSRSubject() throws {
        let root = try RootCA.create()
        let key = NodeKey.generate()
        // A worker asking to be a manager of another cluster in its CSR subject gets what the CA decides.
        let csr = try CertificateSigningRequest(
            version: .v1,
            subject: DistinguishedName {
                OrganizationName("other-cluster")
                OrganizationalUnitName("swarm-manager")
                CommonName("i-am-the-boss")
            },
            privateKey: .init(key.privateKey),
            attributes: .init(),
            signatureAlgorithm: .ecdsaWithSHA256
        )
        let pem = try root.sign(
            csr: try csr.serializeAsPEM().pemString, nodeID: "abc", role: .worker, clusterID: "mine")
        let node = try NodeCertificate.parse(pem)
        #expect(node.nodeID == "abc" && node.role == .worker && node.clusterID == "mine")
        #expect(!node.dnsNames.contains("i-am-the-boss"))
    }

    @Test func rejectsATamperedCSR() throws {
        let root = try RootCA.create()
        let csrPEM = try NodeKey.generate().makeCSR(commonName: "aaaaaaaaaa")
        var der = try PEMDocument(pemString: csrPEM).derBytes
        let needle = Array("aaaaaaaaaa".utf8)
        let at = try #require(der.indices.first { der[$0...].starts(with: needle) })
        der[at] = UInt8(ascii: "b")
        let tampered = PEMDocument(type: "CERTIFICATE REQUEST", derBytes: der).pemString
        _ = try CertificateSigningRequest(pemEncoded: tampered)  // still well-formed
        let error = caError { _ = try root.sign(csr: tampered, nodeID: "n", role: .worker, clusterID: "c") }
        #expect(error?.code == .permissionDenied)
        #expect(error?.message == "invalid CSR: signature verification failed")
    }

    @Test func rejectsACSRWhoseKeyDidNotSignIt() throws {
        // Someone else's public key with a signature by the attacker's key: no proof of possession.
        let root = try RootCA.create()
        let victim = NodeKey.generate()
        let attacker = NodeKey.generate()
        let honest = try CertificateSigningRequest(pemEncoded: try victim.makeCSR())
        let forgedSignature = try Certificate.PrivateKey(attacker.privateKey).sign(
            bytes: Array("anything".utf8), signatureAlgorithm: .ecdsaWithSHA256)
        let forged = try CertificateSigningRequest(
            version: .v1, subject: honest.subject, publicKey: honest.publicKey, attributes: honest.attributes,
            signatureAlgorithm: .ecdsaWithSHA256, signature: forgedSignature)
        let error = caError {
            _ = try root.sign(csr: try forged.serializeAsPEM().pemString, nodeID: "n", role: .worker, clusterID: "c")
        }
        #expect(error?.code == .permissionDenied)
    }

    @Test func rejectsACSRForTheCAKey() throws {
        let root = try RootCA.create()
        let caKey = try NodeKey(pem: try #require(root.keyPEM))
        let error = caError { _ = try root.sign(csr: try caKey.makeCSR(), nodeID: "n", role: .manager, clusterID: "c") }
        #expect(error?.code == .permissionDenied)
    }

    @Test(arguments: [
        ("not a csr", "invalid CSR"),
        ("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n", "invalid CSR"),
    ])
    func rejectsMalformedCSRs(pem: String, message: String) throws {
        let root = try RootCA.create()
        let error = caError { _ = try root.sign(csr: pem, nodeID: "n", role: .worker, clusterID: "c") }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == message)
    }

    @Test(arguments: ["", "-abc", "abc-", "ABC", "a b", "a.b", String(repeating: "a", count: 64)])
    func rejectsNodeIDsThatAreNotDNSLabels(nodeID: String) throws {
        let root = try RootCA.create()
        let error = caError {
            _ = try root.sign(csr: try NodeKey.generate().makeCSR(), nodeID: nodeID, role: .worker, clusterID: "c")
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix("invalid node ID") == true)
    }

    @Test func rejectsBadIPAddressesAndEmptyClusterID() throws {
        let root = try RootCA.create()
        let csr = try NodeKey.generate().makeCSR()
        for bad in ["10.0.0.256", "host.example", "", "10.0.0.0/24"] {
            let error = caError { _ = try root.sign(csr: csr, nodeID: "n", role: .worker, clusterID: "c", ipAddresses: [bad]) }
            #expect(error?.message == "invalid IP address \"\(bad)\" for the node certificate")
        }
        #expect(caError { _ = try root.sign(csr: csr, nodeID: "n", role: .worker, clusterID: "") }?.code == .invalidArgument)
    }

    @Test func nodeKeyPEMRoundTrips() throws {
        let key = NodeKey.generate()
        #expect(key.pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(try NodeKey(pem: key.pem).pem == key.pem)
        #expect(caError { _ = try NodeKey(pem: "nope") }?.code == .invalidArgument)
        let csr = try CertificateSigningRequest(pemEncoded: try key.makeCSR(commonName: "hello"))
        #expect(csr.subject.description == "CN=hello")
        #expect(csr.publicKey.isValidSignature(csr.signature, for: csr))
    }
}
