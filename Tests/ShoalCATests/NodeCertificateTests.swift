import Foundation
import Testing
@testable import ShoalCA

@Suite struct NodeCertificateTests {
    @Test func verifiesAgainstItsOwnCA() throws {
        let fixture = try Fixture()
        let node = try NodeCertificate.parse(fixture.chainPEM)
        try node.verify(against: fixture.root)
        try node.verify(against: RootCA(certificatePEM: fixture.root.certificatePEM))
    }

    @Test func rejectsACertificateFromAnotherCA() throws {
        // Every swarm root is called "swarm-ca": only the signature tells them apart.
        let fixture = try Fixture()
        let impostor = try RootCA.create()
        let error = caError { try NodeCertificate.parse(fixture.chainPEM).verify(against: impostor) }
        #expect(error?.code == .permissionDenied)
        #expect(error?.message == "x509: certificate signed by unknown authority")
    }

    @Test func rejectsAnExpiredCertificate() throws {
        let issued = Date().addingTimeInterval(-Date.days(100))
        let fixture = try Fixture(now: issued)
        let node = try NodeCertificate.parse(fixture.chainPEM)
        let error = caError { try node.verify(against: fixture.root) }
        #expect(error?.code == .permissionDenied)
        #expect(error?.message.hasPrefix("x509: certificate has expired or is not yet valid: current time ") == true)
        #expect(error?.message.contains(" is after ") == true)
        // It was valid while it lasted, backdate included.
        try node.verify(against: fixture.root, at: issued.addingTimeInterval(-1800))
        try node.verify(against: fixture.root, at: node.notAfter)
        #expect(caError { try node.verify(against: fixture.root, at: node.notAfter.addingTimeInterval(1)) } != nil)
    }

    @Test func rejectsACertificateNotYetValid() throws {
        let fixture = try Fixture(now: Date().addingTimeInterval(Date.days(2)))
        let error = caError { try NodeCertificate.parse(fixture.chainPEM).verify(against: fixture.root) }
        #expect(error?.message.contains(" is before ") == true)
    }

    @Test func rejectsWhenTheRootHasExpired() throws {
        let root = try RootCA.create(now: Date().addingTimeInterval(-Date.days(30)), validity: .seconds(86_400))
        let pem = try root.sign(
            csr: try NodeKey.generate().makeCSR(), nodeID: "n", role: .worker, clusterID: "c",
            now: Date().addingTimeInterval(-Date.days(30)))
        let node = try NodeCertificate.parse(pem)
        let error = caError { try node.verify(against: root, at: Date().addingTimeInterval(-Date.days(5))) }
        #expect(error?.message.hasPrefix("x509: root CA certificate has expired") == true)
    }

    @Test func parseTakesTheLeafOfAChain() throws {
        let fixture = try Fixture()
        let chain = fixture.chainPEM + fixture.root.certificatePEM
        #expect(try NodeCertificate.parse(chain).nodeID == fixture.nodeID)
        #expect(try NodeCertificate.parse(fixture.chainPEM).pem == fixture.chainPEM)
    }

    @Test func parseRejectsWhatIsNotANodeCertificate() throws {
        #expect(caError { _ = try NodeCertificate.parse("") }?.message == "invalid node certificate: no CERTIFICATE block in PEM")
        #expect(caError { _ = try NodeCertificate.parse("garbage") }?.code == .invalidArgument)
        // The root has a CN but no role.
        let root = try RootCA.create()
        #expect(caError { _ = try NodeCertificate.parse(root.certificatePEM) }?.message == "invalid node certificate: no role (OU) in its subject")
    }

    @Test func rolesMapToOrganizationalUnits() {
        #expect(NodeRole.manager.organizationalUnit == "swarm-manager")
        #expect(NodeRole.worker.organizationalUnit == "swarm-worker")
        #expect(NodeRole(organizationalUnit: "swarm-manager") == .manager)
        #expect(NodeRole(organizationalUnit: "swarm-worker") == .worker)
        #expect(NodeRole(organizationalUnit: "swarm-ca") == nil)
    }
}
