import Foundation
import SwiftASN1
import Testing
import X509
@testable import ShoalCA

/// The credentials bundle's certificate: who the CA says the user is, and who the cluster endpoint lets in.
@Suite struct UserCertificateTests {
    @Test func aUserCertificateNamesTheUserAndOnlyAuthenticatesClients() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let root = try RootCA.create(now: now)
        let pem = try root.signUser(csr: try NodeKey.generate().makeCSR(), name: "ada@example.org",
                                    clusterID: Fixture.clusterID, now: now)
        let user = try UserCertificate(pem: pem)
        #expect(user.name == "ada@example.org")
        #expect(user.clusterID == Fixture.clusterID)
        #expect(user.notAfter == now.addingTimeInterval(365 * 86_400))
        #expect(user.serial.count >= 2 && user.serial.allSatisfy(\.isHexDigit))

        let certificate = try Certificate(pemEncoded: pem)
        #expect(certificate.subject.description == "CN=ada@example.org,OU=shoal-user,O=\(Fixture.clusterID)")
        #expect(try certificate.extensions.extendedKeyUsage == ExtendedKeyUsage([.clientAuth]))
        #expect(try certificate.extensions.subjectAlternativeNames == nil)
        #expect(certificate.issuer == (try Certificate(pemEncoded: root.certificatePEM)).subject)
        #expect(certificate.publicKey.isValidSignature(certificate.signature, for: certificate) == false)
        #expect(try Certificate(pemEncoded: root.certificatePEM).publicKey
            .isValidSignature(certificate.signature, for: certificate))
    }

    @Test func theEndpointAdmitsUsersOfItsClusterThatAreNotRevoked() throws {
        let root = try RootCA.create()
        let pem = try root.signUser(csr: try NodeKey.generate().makeCSR(), name: "ops", clusterID: Fixture.clusterID)
        let der = try Certificate(pemEncoded: pem).serializeAsPEM().derBytes
        #expect(UserCertificate.admits(der: der, clusterID: Fixture.clusterID, revoked: []))
        #expect(!UserCertificate.admits(der: der, clusterID: "another-cluster", revoked: []))
        let serial = try UserCertificate(der: der).serial
        #expect(!UserCertificate.admits(der: der, clusterID: Fixture.clusterID, revoked: [serial]))

        // A node's certificate from the same CA is no user's.
        for role in NodeRole.allCases {
            let node = try root.sign(csr: try NodeKey.generate().makeCSR(), nodeID: RandomID.generate(), role: role,
                                     clusterID: Fixture.clusterID)
            let nodeDER = try Certificate(pemEncoded: node).serializeAsPEM().derBytes
            #expect(!UserCertificate.admits(der: nodeDER, clusterID: Fixture.clusterID, revoked: []))
            #expect(caError { _ = try UserCertificate(der: nodeDER) }?.code == .permissionDenied)
        }
        #expect(!UserCertificate.admits(der: [0x30, 0x03, 0x02, 0x01, 0x01], clusterID: Fixture.clusterID, revoked: []))
    }

    @Test func badNamesAndKeylessCAsAreRefused() throws {
        let root = try RootCA.create()
        let csr = try NodeKey.generate().makeCSR()
        for name in ["", "has space", "slash/name", String(repeating: "a", count: 65), "naïve"] {
            #expect(caError { _ = try root.signUser(csr: csr, name: name, clusterID: Fixture.clusterID) }?.code
                == .invalidArgument, "\(name)")
        }
        #expect(caError { _ = try root.withoutKey.signUser(csr: csr, name: "ops", clusterID: Fixture.clusterID) }?.code
            == .invalidState)
        #expect(caError { _ = try root.signUser(csr: "not a csr", name: "ops", clusterID: Fixture.clusterID) }?.code
            == .invalidArgument)
    }
}
