import Foundation
import ShoalTestSupport
import Testing
@testable import ShoalCA

/// The same certificates through OpenSSL, an implementation independent of swift-certificates: what etcd (Go)
/// and other TLS stacks will see must be a valid chain with the names and usages we intend.
@Suite(.enabled(if: OpenSSL.path != nil, "openssl is not installed"))
struct OpenSSLCrossCheckTests {
    @Test func verifiesTheNodeChainForClientAndServerUse() async throws {
        let fixture = try Fixture()
        let directory = try TemporaryDirectory()
        try TLSFiles(rootCA: fixture.root, certificatePEM: fixture.chainPEM, key: fixture.key).write(to: directory.url)
        for purpose in [[], ["-purpose", "sslserver"], ["-purpose", "sslclient"]] {
            let result = try await OpenSSL.run(["verify"] + purpose + ["-CAfile", "ca.crt", "node.crt"], in: directory)
            #expect(result.status == 0, "\(purpose): \(result.output)")
            #expect(result.output.contains("node.crt: OK"))
        }
        // The PKCS#8 key is readable and belongs to the certificate.
        let keyPublic = try await OpenSSL.run(["pkey", "-in", "node.key", "-pubout"], in: directory)
        let certPublic = try await OpenSSL.run(["x509", "-in", "node.crt", "-noout", "-pubkey"], in: directory)
        #expect(keyPublic.status == 0 && keyPublic.output == certPublic.output)
    }

    @Test func rejectsANodeCertificateFromAnotherCA() async throws {
        let fixture = try Fixture()
        let impostor = try RootCA.create()
        let directory = try TemporaryDirectory()
        try TLSFiles(rootCA: impostor, certificatePEM: fixture.chainPEM, key: fixture.key).write(to: directory.url)
        let result = try await OpenSSL.run(["verify", "-CAfile", "ca.crt", "node.crt"], in: directory)
        #expect(result.status != 0)
    }

    @Test func showsTheSubjectNamesAndUsagesWeIntend() async throws {
        let fixture = try Fixture(role: .manager, ipAddresses: ["10.0.0.2", "fd00::2"])
        let directory = try TemporaryDirectory()
        try fixture.chainPEM.write(toFile: directory.path("node.crt"), atomically: true, encoding: .utf8)
        let result = try await OpenSSL.run(
            ["x509", "-in", "node.crt", "-noout", "-subject", "-ext", "subjectAltName,extendedKeyUsage,keyUsage,basicConstraints"],
            in: directory)
        #expect(result.status == 0, "\(result.output)")
        let text = result.output
        #expect(text.contains("subject=O = \(Fixture.clusterID), OU = swarm-manager, CN = \(fixture.nodeID)"), "\(text)")
        #expect(text.contains("DNS:swarm-manager, DNS:\(fixture.nodeID), DNS:swarm-ca, IP Address:10.0.0.2, IP Address:FD00:0:0:0:0:0:0:2"), "\(text)")
        #expect(text.contains("TLS Web Server Authentication, TLS Web Client Authentication"), "\(text)")
        #expect(text.contains("Digital Signature, Key Encipherment"), "\(text)")
        #expect(text.contains("CA:FALSE"), "\(text)")
    }

    @Test func showsARootCA() async throws {
        let root = try RootCA.create()
        let directory = try TemporaryDirectory()
        try root.write(to: directory.url)
        let result = try await OpenSSL.run(
            ["x509", "-in", "ca.crt", "-noout", "-subject", "-issuer", "-ext", "basicConstraints,keyUsage"], in: directory)
        #expect(result.status == 0)
        #expect(result.output.contains("subject=CN = swarm-ca"))
        #expect(result.output.contains("issuer=CN = swarm-ca"))
        #expect(result.output.contains("CA:TRUE"))
        #expect(result.output.contains("Certificate Sign, CRL Sign"))
        // The digest is the certificate's DER fingerprint as OpenSSL computes it.
        let fingerprint = try await OpenSSL.run(["x509", "-in", "ca.crt", "-noout", "-fingerprint", "-sha256"], in: directory)
        let hex = fingerprint.output.split(separator: "=").last.map { $0.replacingOccurrences(of: ":", with: "") }
        #expect(hex?.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() == root.digest.hex)
        // And the key is the certificate's.
        let keyPublic = try await OpenSSL.run(["pkey", "-in", "ca.key", "-pubout"], in: directory)
        let certPublic = try await OpenSSL.run(["x509", "-in", "ca.crt", "-noout", "-pubkey"], in: directory)
        #expect(keyPublic.status == 0 && keyPublic.output == certPublic.output)
    }

    @Test func acceptsOurCSR() async throws {
        let directory = try TemporaryDirectory()
        try NodeKey.generate().makeCSR(commonName: "node").write(toFile: directory.path("node.csr"), atomically: true, encoding: .utf8)
        let result = try await OpenSSL.run(["req", "-in", "node.csr", "-verify", "-noout"], in: directory)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.lowercased().contains("verify ok"), "\(result.output)")
    }

    @Test func signsACSRMadeByOpenSSL() async throws {
        let directory = try TemporaryDirectory()
        let made = try await OpenSSL.run(
            [
                "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "node.key", "-out", "node.csr", "-subj", "/O=evil/OU=swarm-manager/CN=boss",
            ], in: directory)
        #expect(made.status == 0, "\(made.output)")
        let root = try RootCA.create()
        let csr = try String(contentsOfFile: directory.path("node.csr"), encoding: .utf8)
        let nodeID = RandomID.generate()
        let pem = try root.sign(csr: csr, nodeID: nodeID, role: .worker, clusterID: Fixture.clusterID, ipAddresses: ["192.0.2.9"])
        let node = try NodeCertificate.parse(pem)
        #expect(node.nodeID == nodeID && node.role == .worker && node.clusterID == Fixture.clusterID)
        try node.verify(against: root)
        // OpenSSL's own key matches the certificate and the chain verifies.
        let key = try NodeKey(pem: String(contentsOfFile: directory.path("node.key"), encoding: .utf8))
        #expect(key.matches(node))
        try pem.write(toFile: directory.path("node.crt"), atomically: true, encoding: .utf8)
        try root.certificatePEM.write(toFile: directory.path("ca.crt"), atomically: true, encoding: .utf8)
        let verified = try await OpenSSL.run(["verify", "-CAfile", "ca.crt", "node.crt"], in: directory)
        #expect(verified.status == 0, "\(verified.output)")
    }

    @Test func refusesATamperedOpenSSLCSR() async throws {
        let directory = try TemporaryDirectory()
        _ = try await OpenSSL.run(
            [
                      "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                      "-keyout", "node.key", "-out", "node.der", "-outform", "DER", "-subj", "/CN=abcdefgh",
            ], in: directory)
        var der = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory.path("node.der"))))
        let needle = Array("abcdefgh".utf8)
        let at = try #require(der.indices.first { der[$0...].starts(with: needle) })
        der[at] = UInt8(ascii: "x")
        let pem = "-----BEGIN CERTIFICATE REQUEST-----\n" + Data(der).base64EncodedString(options: .lineLength64Characters)
            + "\n-----END CERTIFICATE REQUEST-----\n"
        try pem.write(toFile: directory.path("tampered.csr"), atomically: true, encoding: .utf8)
        // OpenSSL agrees that the signature no longer holds (3.0 prints so but still exits 0, hence the text).
        let check = try await OpenSSL.run(["req", "-in", "tampered.csr", "-verify", "-noout"], in: directory)
        #expect(check.output.contains("verify failure"), "\(check.output)")
        #expect(!check.output.lowercased().contains("verify ok"))
        let error = caError { _ = try RootCA.create().sign(csr: pem, nodeID: "n", role: .worker, clusterID: "c") }
        #expect(error?.message == "invalid CSR: signature verification failed")
    }
}

enum OpenSSL {
    static let path: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Runs openssl in `directory`; returns its exit status and stdout+stderr together.
    static func run(_ arguments: [String], in directory: TemporaryDirectory) async throws -> (status: Int32, output: String) {
        // Both streams into one file, interleaved as written, as the pipe they shared gave them.
        let result = try await Shell.run("/bin/sh", ["-c", "exec \"$0\" \"$@\" 2>&1", try #require(path)] + arguments,
                                         directory: directory.url.path)
        return (result.status, result.stdout)
    }
}
