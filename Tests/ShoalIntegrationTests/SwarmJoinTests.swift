import Foundation
import ShoalOS
import ShoalTestSupport
import Testing

/// `docker swarm join` across hosts of a local cluster (`shoal cluster up`, one namespace per host): workers get
/// their certificates through the control API on :2377 and keep a heartbeat session; wrong tokens, a token for
/// another CA and plaintext are refused; a worker is no manager; a killed worker is Down within three heartbeat
/// periods; a restarted worker comes back Ready from its saved state; a worker that leaves is Down.
@Suite(.timeLimit(.minutes(4))) struct SwarmJoinTests {
    @Test func workersJoinHeartbeatAndGoDown() async throws {
        try await TestRun.with("join") { run in
            let cluster = LocalClusterFixture(run, prefix: "j", subnetOctet: 241)
            let up = try await cluster.up(nodes: 3, managers: 1, swarm: false)
            try #require(up.status == 0, "\(up)")
            let name = cluster.name
            func docker(_ node: Int, _ arguments: [String]) async throws -> Shell.Result { try await cluster.docker(node, arguments) }
            func log(_ node: Int) -> String { cluster.log(node) }
            let manager = cluster.address(1)

            let initialised = try await docker(1, ["swarm", "init", "--advertise-addr", manager])
            try #require(initialised.status == 0, "\(initialised)\n\(log(1))")
            let token = try await docker(1, ["swarm", "join-token", "-q", "worker"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let parts = token.split(separator: "-").map(String.init)
            try #require(parts.count == 4, "\(token)")

            // A token with this CA's digest but a wrong secret: refused by the manager, nothing recorded.
            let wrongSecret = parts.prefix(3).joined(separator: "-") + "-" + String(repeating: "0", count: 25)
            let refused = try await docker(2, ["swarm", "join", "--token", wrongSecret, "\(manager):2377"])
            #expect(refused.status != 0 && refused.stderr.contains("A valid join token is necessary to join this cluster"),
                    "\(refused)")
            // A token pinning another CA: the joining node refuses the manager before sending anything.
            let otherCA = "SWMTKN-1-" + String(repeating: "1", count: 50) + "-" + parts[3]
            let impostor = try await docker(2, ["swarm", "join", "--token", otherCA, "\(manager):2377"])
            #expect(impostor.status != 0 && impostor.stderr.contains("remote CA does not match fingerprint"), "\(impostor)")
            #expect(try await docker(1, ["node", "ls", "-q"]).stdout.split(separator: "\n").count == 1)
            #expect(try await docker(2, ["info", "-f", "{{.Swarm.LocalNodeState}}"]).stdout == "inactive\n")

            for node in [2, 3] {
                let joined = try await docker(node, ["swarm", "join", "--token", token, "\(manager):2377"])
                #expect(joined.status == 0 && joined.stdout.contains("This node joined a swarm as a worker."),
                        "\(joined)\n\(log(node))")
            }
            let table = try await docker(1, ["node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.ManagerStatus}}"]).stdout
            let rows = Set(table.split(separator: "\n").map { String($0).trimmingCharacters(in: .whitespaces) })
            #expect(rows == ["\(name)-n1 Ready Leader", "\(name)-n2 Ready", "\(name)-n3 Ready"], "\(table)")
            let roles = try await docker(1, ["node", "ls", "--format", "{{.Hostname}}", "--filter", "role=worker"]).stdout
            #expect(roles.split(separator: "\n").sorted() == ["\(name)-n2", "\(name)-n3"], "\(roles)")
            let onWorker = try await docker(2, ["node", "ls"])
            #expect(onWorker.status != 0 && onWorker.stderr.contains(
                "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state."),
                "\(onWorker)")
            #expect(try await docker(2, ["info", "-f", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"]).stdout
                == "active false\n")
            let certificates = cluster.certificates(2)
            let subject = try await Shell.sh("openssl x509 -noout -subject -in \(certificates)/node.crt")
            #expect(subject.contains("OU = swarm-worker"), "\(subject)")

            // The control API speaks TLS only.
            let plain = """
                import socket
                try:
                    s = socket.create_connection(("\(manager)", 2377), 3); s.settimeout(3)
                except Exception:
                    print("unreachable"); raise SystemExit
                try:
                    s.sendall(b"PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n" + b"\\x00\\x00\\x00\\x04\\x00\\x00\\x00\\x00\\x00")
                    data = s.recv(100)
                    print("answered" if data[3:4] == b"\\x04" else "refused")
                except Exception:
                    print("refused")
                """
            #expect(try await Shell.run("/usr/bin/nsenter", ["--net=" + cluster.netns(2), "--", "/usr/bin/python3", "-c", plain]).stdout
                == "refused\n")

            // Down detection: a 1 s period, then node 3's daemon dies.
            #expect(try await docker(1, ["swarm", "update", "--dispatcher-heartbeat", "1s"]).status == 0)
            try await Task.sleep(for: .seconds(7))  // the workers learn the new period at their next (5 s) heartbeat
            let stateFile = cluster.stateFile
            let killed = Date()
            kill(try ClusterStateFile.pid(of: 3, in: stateFile), SIGKILL)
            func waitForState(_ node: Int, _ state: String, within seconds: TimeInterval) async throws -> (Bool, TimeInterval) {
                let start = Date()
                while Date().timeIntervalSince(start) < seconds {
                    if try await docker(1, ["node", "inspect", "-f", "{{.Status.State}}", "\(name)-n\(node)"]).stdout == state + "\n" {
                        return (true, Date().timeIntervalSince(start))
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                return (false, seconds)
            }
            let (down, _) = try await waitForState(3, "down", within: 20)
            // The time is a figure (scripts/bench.sh --only cluster), not an assertion.
            print("swarm join: node 3 Down \(String(format: "%.2f", Date().timeIntervalSince(killed))) s after its daemon was killed (period 1 s)")
            #expect(down, "\(log(1))")
            #expect(try await docker(1, ["node", "inspect", "-f", "{{.Status.State}}", "\(name)-n2"]).stdout == "ready\n")

            // A worker's daemon restart: Down while it is away, Ready again from its saved identity.
            let stopped = try await ClusterStateFile.stopDaemon(2, in: stateFile)
            let (away, awayAfter) = try await waitForState(2, "down", within: 10)
            #expect(away, "node 2 not Down after its daemon stopped\n\(log(1))")
            try ClusterStateFile.startDaemon(2, in: stateFile, arguments: stopped)
            let (back, backAfter) = try await waitForState(2, "ready", within: 20)
            print("swarm join: node 2 Down \(String(format: "%.2f", awayAfter)) s after its daemon stopped, Ready \(String(format: "%.2f", backAfter)) s after it started again")
            #expect(back, "node 2 not Ready after its restart\n\(log(2))")
            #expect(try await docker(2, ["info", "-f", "{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}"]).stdout
                == "active \(try await docker(1, ["node", "inspect", "-f", "{{.ID}}", "\(name)-n2"]).stdout)")

            // Leaving: the worker is outside the swarm at once; the manager sees it Down.
            let left = try await docker(2, ["swarm", "leave"])
            #expect(left.status == 0 && left.stdout.contains("Node left the swarm."), "\(left)")
            #expect(try await docker(2, ["info", "-f", "{{.Swarm.LocalNodeState}}"]).stdout == "inactive\n")
            #expect(try await waitForState(2, "down", within: 10).0)
        }
    }
}
