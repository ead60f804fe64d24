import Foundation
import ShoalOS
import ShoalTestSupport
import Testing

/// `docker swarm ca` and `docker swarm ca --rotate` on a local cluster (`shoal cluster up`, one namespace per
/// host) with the stock CLI: two managers (two etcd members, so the store needs both) and a worker. A rotation
/// gives every node a certificate from the new root while no node is lost (all stay Ready, the store keeps its
/// quorum), the join tokens pin the new root (the old token is refused, a node joins with the new one), and a
/// manager restarted afterwards (its etcd member now trusting only the new root) rejoins the store. A second
/// rotation to a root the user brings (`--ca-cert`, `--ca-key`) ends with that root. Each renewal restarts a
/// manager's control API under live sessions: it shuts down gracefully, and no daemon crashes.
@Suite(.timeLimit(.minutes(5))) struct SwarmCARotationTests {
    @Test func rotationMovesEveryNodeToTheNewRootWithoutLosingOne() async throws {
        try await TestRun.with("carot") { run in
            let cluster = LocalClusterFixture(run, prefix: "c", subnetOctet: 231, shoalTimeout: 150, dockerTimeout: 90)
            let up = try await cluster.up(nodes: 4, managers: 1, swarm: false)
            try #require(up.status == 0, "\(up)")
            func docker(_ node: Int, _ arguments: [String]) async throws -> Shell.Result {
                try await cluster.docker(node, arguments)
            }
            func ok(_ node: Int, _ arguments: [String]) async throws -> String { try await cluster.ok(node, arguments) }
            let manager = cluster.address(1)
            _ = try await ok(1, ["swarm", "init", "--advertise-addr", manager, "--cert-expiry", "2h"])
            let managerToken = try await ok(1, ["swarm", "join-token", "-q", "manager"])
            let workerToken = try await ok(1, ["swarm", "join-token", "-q", "worker"])
            _ = try await ok(2, ["swarm", "join", "--token", managerToken, "\(manager):2377"])
            _ = try await ok(3, ["swarm", "join", "--token", workerToken, "\(manager):2377"])
            #expect(try await cluster.eventually(20) {
                let rows = try await cluster.table(on: 1)
                return rows.count == 3 && rows.allSatisfy { $0.contains("Ready") }
            })

            // `docker swarm ca` prints the root; options that need --rotate are refused by the CLI.
            let oldRoot = try await ok(1, ["swarm", "ca"])
            #expect(oldRoot.hasPrefix("-----BEGIN CERTIFICATE-----"))
            let inspected = try await ok(1, ["info", "-f", "{{.Swarm.Cluster.TLSInfo.TrustRoot}}"])
            #expect(oldRoot == inspected)

            // The rotation: the CLI waits until every node holds a certificate from the new root and trusts it.
            let rotated = try await docker(1, ["swarm", "ca", "--rotate"])
            #expect(rotated.status == 0, "\(rotated)\n\(cluster.log(1))\n\(cluster.log(3))")
            let newRoot = try await ok(1, ["info", "-f", "{{.Swarm.Cluster.TLSInfo.TrustRoot}}"])
            #expect(newRoot != oldRoot && rotated.stdout.contains(newRoot), "\(rotated.stdout)")
            #expect(try await ok(1, ["info", "-f", "{{.Swarm.Cluster.RootRotationInProgress}}"]) == "false")
            let issuers = try await ok(1, ["node", "ls", "-q"]).split(separator: "\n")
            for id in issuers {
                #expect(try await ok(2, ["node", "inspect", "-f", "{{.Description.TLSInfo.TrustRoot}}", String(id)])
                    == newRoot)
            }
            #expect(try await cluster.table(on: 2).allSatisfy { $0.contains("Ready") })
            // Each node's files: its certificate chains to the new root alone, which it now trusts alone.
            for node in 1...3 {
                let certificates = cluster.certificates(node)
                let trusted = try String(contentsOfFile: certificates + "/ca.crt", encoding: .utf8)
                #expect(trusted.trimmingCharacters(in: .whitespacesAndNewlines) == newRoot, "node \(node)")
                let verified = try await Shell.run("/usr/bin/openssl", [
                    "verify", "-CAfile", certificates + "/ca.crt", certificates + "/node.crt"])
                #expect(verified.status == 0, "node \(node): \(verified)")
            }
            // The store kept its quorum: a write on either manager goes through.
            _ = try await ok(2, ["swarm", "update", "--task-history-limit", "9"])
            #expect(try await ok(1, ["info", "-f", "{{.Swarm.Cluster.Spec.Orchestration.TaskHistoryRetentionLimit}}"]) == "9")

            // The tokens pin the new root: the old one is refused before anything is sent; the new one works.
            let newWorkerToken = try await ok(1, ["swarm", "join-token", "-q", "worker"])
            #expect(newWorkerToken != workerToken)
            let stale = try await docker(4, ["swarm", "join", "--token", workerToken, "\(manager):2377"])
            #expect(stale.status != 0 && stale.stderr.contains("remote CA does not match fingerprint"), "\(stale)")
            let joined = try await docker(4, ["swarm", "join", "--token", newWorkerToken, "\(manager):2377"])
            #expect(joined.status == 0, "\(joined)\n\(cluster.log(4))")

            // A manager restarted now: its etcd member trusts only the new root and rejoins its peer.
            let stopped = try await ClusterStateFile.stopDaemon(2, in: cluster.stateFile)
            try ClusterStateFile.startDaemon(2, in: cluster.stateFile, arguments: stopped)
            #expect(try await cluster.eventually(30) {
                let rows = try await cluster.table(on: 2)
                return rows.count == 4 && rows.allSatisfy { $0.contains("Ready") }
            }, "\(cluster.log(2))")
            _ = try await ok(2, ["swarm", "update", "--task-history-limit", "4"])

            // A root the user brings: rotation ends with it.
            let directory = run.path("userca")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            _ = try await Shell.sh("""
                cd \(directory) && openssl ecparam -name prime256v1 -genkey -noout -out ca.key && \
                openssl req -x509 -new -key ca.key -subj /CN=user-ca -days 800 -out ca.crt \
                  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
                """)
            let onlyCert = try await docker(1, ["swarm", "ca", "--rotate", "--ca-cert", directory + "/ca.crt"])
            #expect(onlyCert.status != 0, "\(onlyCert)")
            let brought = try await docker(1, ["swarm", "ca", "--rotate", "--ca-cert", directory + "/ca.crt",
                                               "--ca-key", directory + "/ca.key"])
            #expect(brought.status == 0, "\(brought)\n\(cluster.log(1))")
            let fingerprint = { (pem: String) async throws -> String in
                try await Shell.run("/usr/bin/openssl", ["x509", "-noout", "-fingerprint", "-sha256"], stdin: pem).stdout
            }
            let userRoot = try String(contentsOfFile: directory + "/ca.crt", encoding: .utf8)
            let shownRoot = try await fingerprint(try await ok(1, ["swarm", "ca"]))
            let broughtRoot = try await fingerprint(userRoot)
            #expect(shownRoot == broughtRoot && !broughtRoot.isEmpty)
            #expect(try await cluster.table(on: 1).allSatisfy { $0.contains("Ready") })
            let subject = try await Shell.sh("openssl x509 -noout -issuer -in \(cluster.certificates(3))/node.crt")
            #expect(subject.contains("user-ca"), "\(subject)")

            // Each manager restarted its control API with its renewed certificate while its nodes' sessions were
            // open: the sessions ended and the server shut down gracefully (cancelling it instead could crash the
            // daemon in NIO), and no daemon crashed.
            for node in 1...2 {
                let log = cluster.log(node)
                #expect(log.contains("control API on 0.0.0.0:2377 stopped"), "\(log)")
                #expect(!log.contains("control API did not shut down in time") && !log.contains("Fatal error"), "\(log)")
            }
        }
    }
}
