import Foundation
import ShoalOS
import ShoalTestSupport
import Testing

/// `--external-ca` with a real CFSSL server (Debian's `cfssl serve`, in the manager's namespace, over TLS that
/// requires a client certificate from the swarm) and the stock CLI. `docker swarm ca --rotate --ca-cert
/// <external root> --external-ca protocol=cfssl,url=…` moves every node to certificates the CFSSL server signs;
/// the store never holds the external root's key; a node that joins afterwards gets its certificate from the
/// CFSSL server too. An external CA that does not answer is refused with swarmkit's message and changes nothing.
@Suite(.timeLimit(.minutes(5))) struct SwarmExternalCATests {
    @Test func aRotationToAnExternalCAHasItSignEveryNodesCertificate() async throws {
        try await TestRun.with("extca") { run in
            let cluster = LocalClusterFixture(run, prefix: "x", subnetOctet: 233, shoalTimeout: 150, dockerTimeout: 90)
            let up = try await cluster.up(nodes: 3, managers: 1, swarm: false)
            try #require(up.status == 0, "\(up)")
            func docker(_ node: Int, _ arguments: [String]) async throws -> Shell.Result {
                try await cluster.docker(node, arguments)
            }
            func ok(_ node: Int, _ arguments: [String]) async throws -> String { try await cluster.ok(node, arguments) }
            let manager = cluster.address(1)
            _ = try await ok(1, ["swarm", "init", "--advertise-addr", manager])
            let workerToken = try await ok(1, ["swarm", "join-token", "-q", "worker"])
            _ = try await ok(2, ["swarm", "join", "--token", workerToken, "\(manager):2377"])
            let swarmRoot = try await ok(1, ["swarm", "ca"])

            // The external CA: its own root, a server certificate for 127.0.0.1 in the manager's namespace, and
            // client certificates required from either root the managers' certificates come from.
            let ca = run.path("cfssl")
            try FileManager.default.createDirectory(atPath: ca, withIntermediateDirectories: true)
            try #"{"CN":"external-root","key":{"algo":"ecdsa","size":256}}"#
                .write(toFile: ca + "/root.json", atomically: true, encoding: .utf8)
            try #"{"CN":"cfssl","hosts":["127.0.0.1"],"key":{"algo":"ecdsa","size":256}}"#
                .write(toFile: ca + "/server.json", atomically: true, encoding: .utf8)
            try #"{"signing":{"default":{"expiry":"2160h","usages":["signing","key encipherment","server auth","client auth"]}}}"#
                .write(toFile: ca + "/config.json", atomically: true, encoding: .utf8)
            _ = try await Shell.sh("""
                cd \(ca) && cfssl gencert -initca root.json 2>/dev/null | cfssljson -bare root && \
                cfssl gencert -ca root.pem -ca-key root-key.pem -config config.json server.json 2>/dev/null \
                  | cfssljson -bare server
                """)
            let externalRoot = try String(contentsOfFile: ca + "/root.pem", encoding: .utf8)
            try (swarmRoot + "\n" + externalRoot).write(toFile: ca + "/clients.pem", atomically: true, encoding: .utf8)
            let log = ca + "/serve.log"
            _ = try run.startProcess("cfssl", "/usr/bin/nsenter", [
                "--net=" + cluster.netns(1), "/usr/bin/cfssl", "serve", "-address", "127.0.0.1", "-port", "8888",
                "-ca", ca + "/root.pem", "-ca-key", ca + "/root-key.pem", "-config", ca + "/config.json",
                "-tls-cert", ca + "/server.pem", "-tls-key", ca + "/server-key.pem", "-mutual-tls-ca", ca + "/clients.pem",
            ], log: log)
            func signed() -> Int {
                ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
                    .components(separatedBy: "signed certificate with serial number").count - 1
            }
            #expect(try await cluster.eventually(20) {
                ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("Now listening")
            }, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            let url = "https://127.0.0.1:8888/api/v1/cfssl/sign"

            // An external CA that does not answer, or over plain HTTP, is refused and nothing changes.
            for wrong in ["https://127.0.0.1:8889/api/v1/cfssl/sign", "http://127.0.0.1:8888/api/v1/cfssl/sign"] {
                let refused = try await docker(1, ["swarm", "ca", "--rotate", "--ca-cert", ca + "/root.pem",
                                                   "--external-ca", "protocol=cfssl,url=" + wrong])
                #expect(refused.status != 0 && refused.stderr.contains(
                    "there must be at least one valid, reachable external CA corresponding to the desired CA certificate"),
                        "\(refused)")
            }
            #expect(try await ok(1, ["swarm", "ca"]) == swarmRoot)
            #expect(try await ok(1, ["info", "-f", "{{.Swarm.Cluster.RootRotationInProgress}}"]) == "false")
            #expect(try await ok(1, ["info", "-f", "{{json .Swarm.Cluster.Spec.CAConfig.ExternalCAs}}"]) == "null")

            // The rotation: the CLI waits until every node holds a certificate the CFSSL server signed.
            let rotated = try await docker(1, ["swarm", "ca", "--rotate", "--ca-cert", ca + "/root.pem",
                                               "--external-ca", "protocol=cfssl,url=" + url])
            #expect(rotated.status == 0,
                    "\(rotated)\n\(cluster.log(1))\n\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            let fingerprint = { (pem: String) async throws -> String in
                try await Shell.run("/usr/bin/openssl", ["x509", "-noout", "-fingerprint", "-sha256"], stdin: pem).stdout
            }
            #expect(try await fingerprint(try await ok(1, ["swarm", "ca"])) == (try await fingerprint(externalRoot)))
            let shown = try await ok(1, ["info", "-f", "{{range .Swarm.Cluster.Spec.CAConfig.ExternalCAs}}{{.Protocol}} {{.URL}}{{end}}"])
            #expect(shown == "cfssl " + url)
            #expect(signed() >= 2, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            for node in 1...2 {
                let issuer = try await Shell.sh("openssl x509 -noout -issuer -in \(cluster.certificates(node))/node.crt")
                #expect(issuer.contains("external-root"), "node \(node): \(issuer)")
                let verified = try await Shell.run("/usr/bin/openssl", [
                    "verify", "-CAfile", cluster.certificates(node) + "/ca.crt", cluster.certificates(node) + "/node.crt"])
                #expect(verified.status == 0, "node \(node): \(verified)")
            }
            #expect(try await cluster.table(on: 1).allSatisfy { $0.contains("Ready") })

            // A node that joins now: its certificate comes from the CFSSL server.
            let before = signed()
            let newToken = try await ok(1, ["swarm", "join-token", "-q", "worker"])
            _ = try await ok(3, ["swarm", "join", "--token", newToken, "\(manager):2377"])
            #expect(signed() > before)
            let joined = try await Shell.sh("openssl x509 -noout -issuer -subject -in \(cluster.certificates(3))/node.crt")
            #expect(joined.contains("external-root") && joined.contains("swarm-worker"), "\(joined)")
            #expect(try await cluster.eventually(20) {
                let rows = try await cluster.table(on: 1)
                return rows.count == 3 && rows.allSatisfy { $0.contains("Ready") }
            })

            // The store holds no key for this root: an update that leaves no reachable external CA is refused.
            let stranding = try await docker(1, ["swarm", "update", "--external-ca",
                                                 "protocol=cfssl,url=https://127.0.0.1:8889/api/v1/cfssl/sign"])
            #expect(stranding.status != 0 && stranding.stderr.contains(
                "there must be at least one valid, reachable external CA corresponding to the current CA certificate"),
                    "\(stranding)")
            #expect(try await ok(1, ["info", "-f", "{{range .Swarm.Cluster.Spec.CAConfig.ExternalCAs}}{{.URL}}{{end}}"])
                == url)
        }
    }
}
