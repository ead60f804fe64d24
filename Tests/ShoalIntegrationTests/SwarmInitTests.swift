import Foundation
import ShoalCA
import ShoalTestSupport
import Testing

/// `docker swarm init` and what a single manager answers, with the stock CLI against a real daemon and the etcd
/// member it starts and supervises: tokens, node list, swarm update, node update, a daemon restart that keeps
/// the cluster, leave; etcd refuses plaintext and clients without a certificate from the cluster's CA.
@Suite(.timeLimit(.minutes(3))) struct SwarmInitTests {
    @Test func initUpdateRestartAndLeave() async throws {
        try await TestRun.with("swarm") { run in
            let daemon = try await DaemonFixture(run)
            let port = 26000 + Int.random(in: 0..<150) * 10

            let outside = try await daemon.docker(["node", "ls"])
            #expect(outside.status == 1)
            #expect(outside.stderr.contains("This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again."), "\(outside.stderr)")

            let initialised = try await daemon.docker(["swarm", "init", "--advertise-addr", "127.0.0.1:\(port)",
                                                       "--listen-addr", "127.0.0.1:\(port)"])
            #expect(initialised.status == 0, "\(initialised)\n\(daemon.daemonLog(lines: 30))")
            let nodeID = try await daemon.dockerOK(["info", "-f", "{{.Swarm.NodeID}}"])
            #expect(initialised.stdout.contains("Swarm initialized: current node (\(nodeID)) is now a manager."))
            #expect(initialised.stdout.contains("docker swarm join --token SWMTKN-1-"))
            #expect(initialised.stdout.contains(" 127.0.0.1:\(port)\n"))
            #expect(try await daemon.dockerOK(["info", "-f", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.Nodes}} {{.Swarm.Managers}}"])
                == "active true 1 1")
            let again = try await daemon.docker(["swarm", "init", "--advertise-addr", "127.0.0.1:\(port)"])
            #expect(again.stderr.contains("This node is already part of a swarm"), "\(again.stderr)")

            let table = try await daemon.dockerOK(["node", "ls", "--format", "{{.ID}} {{.Self}} {{.Status}} {{.Availability}} {{.ManagerStatus}}"])
            #expect(table == "\(nodeID) true Ready Active Leader", "\(table)")

            // Tokens: SWMTKN-1-<CA digest>-<secret>, one digest for both roles, rotation changes the secret only.
            let worker = try await daemon.dockerOK(["swarm", "join-token", "-q", "worker"])
            let manager = try await daemon.dockerOK(["swarm", "join-token", "-q", "manager"])
            let parts = worker.split(separator: "-")
            #expect(parts.count == 4 && parts[0] == "SWMTKN" && parts[1] == "1" && parts[2].count == 50 && parts[3].count == 25,
                    "\(worker)")
            #expect(manager != worker && manager.hasPrefix(parts.prefix(3).joined(separator: "-")))
            try await daemon.dockerOK(["swarm", "join-token", "--rotate", "worker"])
            let rotated = try await daemon.dockerOK(["swarm", "join-token", "-q", "worker"])
            #expect(rotated != worker && rotated.hasPrefix(parts.prefix(3).joined(separator: "-")))
            #expect(try await daemon.dockerOK(["swarm", "join-token", "-q", "manager"]) == manager)

            // swarm update and its limits; node update.
            try await daemon.dockerOK(["swarm", "update", "--dispatcher-heartbeat", "10s", "--cert-expiry", "48h"])
            #expect(try await daemon.dockerOK(["info", "-f", "{{.Swarm.Cluster.Spec.Dispatcher.HeartbeatPeriod}} {{.Swarm.Cluster.Spec.CAConfig.NodeCertExpiry}}"])
                == "10s 48h0m0s")
            let short = try await daemon.docker(["swarm", "update", "--cert-expiry", "30m"])
            #expect(short.status != 0 && short.stderr.contains("minimum certificate expiry time is: 1h0m0s"), "\(short.stderr)")
            try await daemon.dockerOK(["node", "update", "--label-add", "zone=a", "--availability", "drain", "self"])
            #expect(try await daemon.dockerOK(["node", "inspect", "-f", "{{.Spec.Labels}} {{.Spec.Availability}}", "self"])
                == "map[zone:a] drain")
            let demote = try await daemon.docker(["node", "demote", nodeID])
            #expect(demote.status != 0 && demote.stderr.contains("attempting to demote the last manager of the swarm"), "\(demote.stderr)")

            // The node certificate names the node and its role; etcd takes only clients with this cluster's certificates.
            let certificates = daemon.dataRoot + "/swarm/certificates"
            let subject = try await Shell.sh("openssl x509 -noout -subject -in \(certificates)/node.crt")
            #expect(subject.contains("OU = swarm-manager") && subject.contains("CN = \(nodeID)"), "\(subject)")
            #expect(try await Shell.run("/usr/bin/openssl", ["verify", "-CAfile", "\(certificates)/ca.crt", "\(certificates)/node.crt"]).status == 0)
            let probe = """
                import socket, ssl, sys
                port, certs, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
                try:
                    raw = socket.create_connection(("127.0.0.1", port), 3)
                    if mode == "plain":
                        raw.sendall(b"GET /version HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n"); raw.settimeout(3)
                        data = raw.recv(100); print("answered" if data.startswith(b"HTTP/1.1 200") else "refused")
                    else:
                        ctx = ssl.create_default_context(cafile=certs + "/ca.crt"); ctx.check_hostname = False
                        if mode == "cert": ctx.load_cert_chain(certs + "/node.crt", certs + "/node.key")
                        s = ctx.wrap_socket(raw); s.sendall(b"GET /version HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                        data = s.recv(200); print("answered" if b"etcdserver" in data or data.startswith(b"HTTP/1.1 200") else "refused")
                except Exception as e:
                    print("refused")
                """
            func etcd(_ mode: String) async throws -> String {
                try await Shell.run("/usr/bin/env", ["python3", "-c", probe, String(port + 1), certificates, mode]).stdout
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            #expect(try await etcd("plain") == "refused")
            #expect(try await etcd("nocert") == "refused")
            #expect(try await etcd("cert") == "answered")
            // A certificate with this node's identity, signed by another CA: refused.
            let forged = run.path("forged")
            try FileManager.default.createDirectory(atPath: forged, withIntermediateDirectories: true)
            let real = try NodeCertificate.parse(try String(contentsOfFile: certificates + "/node.crt", encoding: .utf8))
            let otherCA = try RootCA.create()
            let forgedKey = NodeKey.generate()
            let forgedCertificate = try otherCA.sign(
                csr: try forgedKey.makeCSR(commonName: real.nodeID), nodeID: real.nodeID, role: .manager,
                clusterID: real.clusterID, ipAddresses: ["127.0.0.1"], validity: .seconds(3600))
            try FileManager.default.copyItem(atPath: certificates + "/ca.crt", toPath: forged + "/ca.crt")
            try forgedCertificate.write(toFile: forged + "/node.crt", atomically: true, encoding: .utf8)
            try forgedKey.pem.write(toFile: forged + "/node.key", atomically: true, encoding: .utf8)
            #expect(try await Shell.run("/usr/bin/env", ["python3", "-c", probe, String(port + 1), forged, "cert"]).stdout
                == "refused\n")

            // A daemon restart keeps the cluster: same node, labels, tokens.
            await daemon.stopDaemon()
            try await daemon.start()
            #expect(try await daemon.dockerOK(["node", "ls", "--format", "{{.ID}} {{.Status}} {{.ManagerStatus}}"]) == "\(nodeID) Ready Leader")
            #expect(try await daemon.dockerOK(["node", "inspect", "-f", "{{.Spec.Labels}}", "self"]) == "map[zone:a]")
            #expect(try await daemon.dockerOK(["swarm", "join-token", "-q", "worker"]) == rotated)

            // Leaving: the last manager needs --force; afterwards the node is outside any swarm and etcd is gone.
            let refused = try await daemon.docker(["swarm", "leave"])
            #expect(refused.status != 0 && refused.stderr.contains("Removing the last manager erases all current state of the swarm"),
                    "\(refused.stderr)")
            try await daemon.dockerOK(["swarm", "leave", "--force"])
            #expect(try await daemon.dockerOK(["info", "-f", "{{.Swarm.LocalNodeState}}"]) == "inactive")
            #expect(try await etcd("cert") == "refused")
            #expect(!FileManager.default.fileExists(atPath: daemon.dataRoot + "/swarm"))
        }
    }
}
