import Foundation
import Testing
import X509
@testable import ShoalCA

/// The CA side of a root rotation: the next root cross-signed by the current one, chains through it, trust
/// bundles of two roots, and the checks of a root the user brings.
@Suite struct RootRotationTests {
    /// A certificate from `signer` with `intermediates` after it.
    func chain(_ signer: RootCA, _ intermediates: [String] = [], nodeID: String = RandomID.generate()) throws -> String {
        let leaf = try signer.sign(csr: try NodeKey.generate().makeCSR(), nodeID: nodeID, role: .manager,
                                   clusterID: Fixture.clusterID, ipAddresses: ["127.0.0.1"])
        return ([leaf] + intermediates).map { $0.hasSuffix("\n") ? $0 : $0 + "\n" }.joined()
    }

    @Test func aCertificateFromTheNextRootIsTrustedThroughTheCrossSignature() throws {
        let current = try RootCA.create()
        let next = try RootCA.create()
        let crossSigned = try current.crossSign(next)
        let oldTrust = try TrustBundle(pem: current.certificatePEM)
        let newTrust = try TrustBundle(pem: next.certificatePEM)
        let both = try TrustBundle(roots: [current.certificatePEM, next.certificatePEM])

        let rotated = try chain(next, [crossSigned])
        #expect(try oldTrust.verify(chainPEM: rotated).role == .manager)
        try newTrust.verify(chainPEM: rotated)
        try both.verify(chainPEM: rotated)
        // Without the cross-signature, a node that trusts only the current root refuses it.
        let bare = try chain(next)
        #expect(caError { try oldTrust.verify(chainPEM: bare) }?.message == "x509: certificate signed by unknown authority")
        try newTrust.verify(chainPEM: bare)
        // A certificate from the current root is no longer trusted by nodes that moved to the next one alone.
        let old = try chain(current)
        try both.verify(chainPEM: old)
        #expect(caError { try newTrust.verify(chainPEM: old) } != nil)
        // The cross-signature does not let the current root vouch for itself through the next one.
        #expect(caError { try newTrust.verify(chainPEM: try chain(current, [crossSigned])) } != nil)
    }

    @Test func crossSignaturesOfSeveralRotationsChain() throws {
        let first = try RootCA.create()
        let second = try RootCA.create()
        let third = try RootCA.create()
        let chained = try chain(third, [try second.crossSign(third), try first.crossSign(second)])
        try TrustBundle(pem: first.certificatePEM).verify(chainPEM: chained)
        try TrustBundle(pem: second.certificatePEM).verify(chainPEM: chained)
        try TrustBundle(pem: third.certificatePEM).verify(chainPEM: chained)
        #expect(caError { try TrustBundle(pem: try RootCA.create().certificatePEM).verify(chainPEM: chained) } != nil)
    }

    @Test func theCrossSignedCertificateIsTheNextRootSignedByTheCurrent() throws {
        let current = try RootCA.create()
        let next = try RootCA.create()
        let certificate = try Certificate(pemEncoded: try current.crossSign(next))
        #expect(certificate.publicKey == next.certificate.publicKey)
        #expect(certificate.subject == next.certificate.subject)
        #expect(current.certificate.publicKey.isValidSignature(certificate.signature, for: certificate))
        #expect(try certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: nil))
        #expect(certificate.notValidAfter <= current.notAfter)
        #expect(caError { _ = try current.withoutKey.crossSign(next) }?.code == .invalidState)
    }

    @Test func desiredRootsAreCheckedAsSwarmkitChecksThem() throws {
        let root = try RootCA.create()
        let loaded = try RootCA.desired(certificatePEM: root.certificatePEM, keyPEM: root.keyPEM)
        #expect(loaded.digest == root.digest && loaded.canSign)
        let other = try RootCA.create()
        #expect(caError { _ = try RootCA.desired(certificatePEM: root.certificatePEM, keyPEM: other.keyPEM) }?.message
            == "root CA key does not match the root CA certificate")
        #expect(caError {
            _ = try RootCA.desired(certificatePEM: root.certificatePEM + "\n" + other.certificatePEM, keyPEM: root.keyPEM)
        }?.message == "the desired CA certificate cannot contain multiple certificates")
        let shortLived = try RootCA.create(validity: .seconds(30 * 24 * 3600))
        #expect(caError { _ = try RootCA.desired(certificatePEM: shortLived.certificatePEM, keyPEM: shortLived.keyPEM) }?
            .message == "CA certificate expires too soon")
        #expect(root.hasSameKey(as: loaded) && !root.hasSameKey(as: other))
    }

    @Test func aBundleDigestIsItsTextsSHA256() throws {
        let root = try RootCA.create()
        #expect(TrustBundle.digest(of: root.certificatePEM) == CADigest(of: Array(root.certificatePEM.utf8)).hex)
        #expect(TrustBundle.digest(of: root.certificatePEM) != TrustBundle.digest(of: root.certificatePEM + "\n"))
        #expect(caError { _ = try TrustBundle(pem: "nothing") } != nil)
    }
}

/// OpenSSL (what etcd's Go TLS stands for here) follows the same chains.
@Suite(.enabled(if: OpenSSL.path != nil, "openssl is not installed"))
struct RootRotationOpenSSLTests {
    @Test func openSSLVerifiesTheRotatedChainFromEitherRoot() async throws {
        let current = try RootCA.create()
        let next = try RootCA.create()
        let directory = try TemporaryDirectory()
        let leaf = try next.sign(csr: try NodeKey.generate().makeCSR(), nodeID: RandomID.generate(), role: .worker,
                                 clusterID: Fixture.clusterID)
        try leaf.write(toFile: directory.path("leaf.crt"), atomically: true, encoding: .utf8)
        try current.crossSign(next).write(toFile: directory.path("cross.crt"), atomically: true, encoding: .utf8)
        try current.certificatePEM.write(toFile: directory.path("old.crt"), atomically: true, encoding: .utf8)
        try next.certificatePEM.write(toFile: directory.path("new.crt"), atomically: true, encoding: .utf8)
        for anchor in ["old.crt", "new.crt"] {
            let result = try await OpenSSL.run(["verify", "-CAfile", anchor, "-untrusted", "cross.crt", "leaf.crt"],
                                               in: directory)
            #expect(result.status == 0, "\(anchor): \(result.output)")
        }
        let bare = try await OpenSSL.run(["verify", "-CAfile", "old.crt", "leaf.crt"], in: directory)
        #expect(bare.status != 0)
    }
}
