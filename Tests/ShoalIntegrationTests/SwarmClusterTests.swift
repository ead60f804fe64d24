import Foundation
import ShoalOS
import ShoalTestSupport
import Testing

/// Swarms formed by `shoal cluster up`, driven with the stock CLI and docker-py: every host Ready and every
/// manager answering; a heartbeat period set through a follower reaching the workers; promotion and demotion of
/// other nodes (certificates change role, store membership follows); removal of a live worker (it leaves the swarm); the leader killed by pid (daemon and etcd) with
/// another manager taking over and accepting writes, the dead one Down and Unreachable, and the workers kept;
/// then a rolling restart of every manager that loses no node, token, certificate or label.
@Suite(.serialized, .timeLimit(.minutes(6))) struct SwarmClusterTests {
    /// A swarm formed by `shoal cluster up` for one test (30 s for each docker call: a hang fails fast).
    static func swarm(_ run: TestRun, prefix: String, nodes: Int, managers: Int,
                      extra: [String] = []) async throws -> LocalClusterFixture {
        let cluster = LocalClusterFixture(run, prefix: prefix, subnetOctet: 243, shoalTimeout: 150, dockerTimeout: 30)
        let up = try await cluster.up(nodes: nodes, managers: managers, swarm: true, extra: extra)
        try #require(up.status == 0, "\(up)")
        print("swarm cluster: \(up.stdout.split(separator: "\n").first ?? "")")
        return cluster
    }

    @Test func formsTheSwarmAndChangesRoles() async throws {
        try await TestRun.with("swroles") { run in
            let cluster = try await Self.swarm(run, prefix: "r", nodes: 4, managers: 2)
            func host(_ node: Int) -> String { cluster.host(node) }
            // Formed by `cluster up`: every host Ready, both managers answer with the same view.
            let formed: Set = ["\(host(1)) Ready Leader", "\(host(2)) Ready Reachable", "\(host(3)) Ready", "\(host(4)) Ready"]
            for node in [1, 2] { #expect(try await cluster.table(on: node) == formed, "\(cluster.log(node))") }
            #expect(try await cluster.docker(3, ["node", "ls"]).stderr.contains("This node is not a swarm manager"))
            // `node inspect --pretty`, with the TLS info Docker shows (issuer public key = the root CA's SPKI).
            let pretty = try await cluster.docker(2, ["node", "inspect", "--pretty", host(1)]).stdout
            let rootKey = try await Shell.sh("openssl x509 -noout -pubkey -in \(cluster.certificates(1))/ca.crt | grep -v -- ----- | tr -d '\\n'")
            #expect(pretty.contains("Hostname:") && pretty.contains(host(1)) && pretty.contains(" State:\t\t\tReady")
                        && pretty.contains(" Leader:\t\tYes") && pretty.contains(" Issuer Public Key:\t\(rootKey)"),
                    "\(pretty)\nroot key \(rootKey)")
            // docker-py sees the same swarm: info, nodes, a node update, join tokens; a worker refuses node calls.
            let py = """
                import docker, sys
                manager = docker.DockerClient(base_url="unix://" + sys.argv[1])
                swarm = manager.info()["Swarm"]
                print(swarm["LocalNodeState"], swarm["ControlAvailable"], swarm["Nodes"], swarm["Managers"])
                print(" ".join(sorted(n.attrs["Description"]["Hostname"] for n in manager.nodes.list())))
                node = manager.nodes.get(sys.argv[3])
                spec = node.attrs["Spec"]; spec["Labels"] = {"py": "yes"}
                node.update(spec)
                print(manager.nodes.get(sys.argv[3]).attrs["Spec"]["Labels"]["py"])
                print(manager.swarm.attrs["JoinTokens"]["Worker"].startswith("SWMTKN-1-"))
                try:
                    docker.DockerClient(base_url="unix://" + sys.argv[2]).nodes.list()
                    print("listed")
                except docker.errors.APIError as e:
                    print(e.status_code, "not a swarm manager" in str(e.explanation))
                """
            let viaPython = try await Shell.run("/usr/bin/env", ["python3", "-c", py, cluster.socket(1), cluster.socket(3), host(4)])
            #expect(viaPython.stdout == """
                active True 4 2
                \(host(1)) \(host(2)) \(host(3)) \(host(4))
                yes
                True
                503 True

                """, "\(viaPython.stdout)\(viaPython.stderr)")
            // A heartbeat period set through a follower reaches the workers through the leader.
            #expect(try await cluster.docker(2, ["swarm", "update", "--dispatcher-heartbeat", "2s"]).status == 0)
            #expect(try await cluster.eventually(15) { cluster.log(4).contains("heartbeat period 2.0 seconds") }, "\(cluster.log(4))")

            // Promote worker 3: it gets a manager certificate, becomes a store member and answers `node ls`.
            #expect(try await cluster.docker(1, ["node", "promote", host(3)]).status == 0)
            let promoted = try await cluster.eventually(30) {
                guard try await cluster.docker(3, ["node", "ls", "-q"]).status == 0 else { return false }
                return try await cluster.table(on: 1).contains("\(host(3)) Ready Reachable")
            }
            #expect(promoted, "\(cluster.log(3))")
            #expect(try await Shell.sh("openssl x509 -noout -subject -in \(cluster.certificates(3) + "/node.crt")").contains("OU = swarm-manager"))
            #expect(try await cluster.docker(3, ["info", "-f", "{{.Swarm.ControlAvailable}} {{.Swarm.Managers}}"]).stdout == "true 3\n")

            // Demote manager 2 (another node than the one asked): back to a worker certificate and a session.
            #expect(try await cluster.docker(3, ["node", "demote", host(2)]).status == 0)
            let demoted = try await cluster.eventually(30) {
                try await cluster.docker(2, ["node", "ls"]).stderr.contains("This node is not a swarm manager")
            }
            #expect(demoted, "\(cluster.log(2))")
            #expect(try await Shell.sh("openssl x509 -noout -subject -in \(cluster.certificates(2) + "/node.crt")").contains("OU = swarm-worker"))
            var table: Set<String> = []
            #expect(try await cluster.eventually(20) {
                table = try await cluster.table(on: 1)
                return table == ["\(host(1)) Ready Leader", "\(host(2)) Ready", "\(host(3)) Ready Reachable", "\(host(4)) Ready"]
            }, "\(table)")
            #expect(try await cluster.docker(1, ["info", "-f", "{{.Swarm.Managers}} {{.Swarm.Nodes}}"]).stdout == "2 4\n")

            // `node rm --force` of a live worker: it is gone from the list and its session is refused, so it leaves.
            #expect(try await cluster.docker(1, ["node", "rm", host(4)]).stderr.contains("is not down and can't be removed"))
            #expect(try await cluster.docker(1, ["node", "rm", "--force", host(4)]).status == 0)
            #expect(try await cluster.eventually(20) {
                try await cluster.docker(4, ["info", "-f", "{{.Swarm.LocalNodeState}}"]).stdout == "inactive\n"
            }, "\(cluster.log(4))")
            #expect(try await !cluster.table(on: 3).contains { $0.hasPrefix(host(4) + " ") })
        }
    }

    @Test func leaderFailoverAndRollingRestartLoseNothing() async throws {
        try await TestRun.with("swfail") { run in
            let cluster = try await Self.swarm(run, prefix: "f", nodes: 4, managers: 3, extra: ["--dispatcher-heartbeat", "1s"])
            func host(_ node: Int) -> String { cluster.host(node) }
            #expect(try await cluster.docker(1, ["node", "update", "--label-add", "zone=a", host(4)]).status == 0)

            // The leader's daemon and etcd killed by pid: another manager leads and takes writes.
            let leaderPid = try ClusterStateFile.pid(of: 1, in: cluster.stateFile)
            let etcdPid = try #require(Int32(try String(
                contentsOfFile: cluster.dataRoot(1) + "/swarm/etcd.pid", encoding: .utf8)
                .split(whereSeparator: \.isWhitespace).first ?? ""))
            let arguments = try String(contentsOfFile: "/proc/\(leaderPid)/cmdline", encoding: .utf8)
                .split(separator: "\u{0}").map(String.init)
            // Overlays keep being created through the followers while the leader dies (the leader alone allocates).
            let creates = Task { () -> [String] in
                var made: [String] = []
                for index in 0..<12 {
                    let created = try? await cluster.docker(2 + index % 2, ["network", "create", "-d", "overlay", "f\(index)"])
                    if created?.status == 0 { made.append("f\(index)") }
                }
                return made
            }
            try await Task.sleep(for: .milliseconds(500))
            let killed = Date()
            kill(leaderPid, SIGKILL)
            kill(etcdPid, SIGKILL)
            var newLeader: String?
            let tookOver = try await cluster.eventually(30) {
                let rows = try await cluster.table(on: 2)
                newLeader = rows.first { $0.hasSuffix(" Leader") && !$0.hasPrefix(host(1) + " ") }
                guard newLeader != nil else { return false }
                return try await cluster.docker(2, ["node", "update", "--label-add", "after=failover", host(4)]).status == 0
            }
            #expect(tookOver, "\(cluster.log(2))")
            // No two of them share a subnet or a VXLAN ID, and every create that was answered is there.
            let made = await creates.value
            let rows = try await cluster.docker(2, ["network", "inspect", "--format",
                                                    "{{.Name}} {{(index .IPAM.Config 0).Subnet}} {{index .Options \"com.docker.network.driver.overlay.vxlanid_list\"}}"]
                                                    + (0..<12).map { "f\($0)" }).stdout
                .split(separator: "\n").map { $0.split(separator: " ").map(String.init) }.filter { $0.count == 3 }
            print("swarm cluster: overlays created across the failover: \(made.count) answered, \(rows.count) stored")
            #expect(made.count >= 8 && Set(made).isSubset(of: Set(rows.map { $0[0] })), "\(made) \(rows)")
            #expect(Set(rows.map { $0[1] }).count == rows.count && Set(rows.map { $0[2] }).count == rows.count, "\(rows)")
            // The worker gets an endpoint from the new leader (tried first, as the leader of its session).
            let rootfs = run.path("rootfs")
            try BusyboxRootfs.make(at: rootfs)
            try await Shell.sh("tar -C \(rootfs) -cf \(run.path("bb.tar")) .")
            #expect(try await cluster.docker(4, ["import", run.path("bb.tar"), "bb"]).status == 0)
            #expect(try await cluster.docker(2, ["network", "create", "-d", "overlay", "--attachable", "fa"]).status == 0)
            let attached = try await cluster.docker(4, ["run", "--rm", "--network", "fa", "bb", "true"])
            #expect(attached.status == 0, "\(attached)\n\(cluster.log(4))")
            print("swarm cluster: \(newLeader ?? "no leader") and a write \(String(format: "%.2f", Date().timeIntervalSince(killed))) s after the leader was killed")
            // The dead manager is Down and Unreachable; the worker moved its session to the new leader and stays Ready.
            var table: Set<String> = []
            #expect(try await cluster.eventually(20) {
                table = try await cluster.table(on: 3)
                return table.contains("\(host(1)) Down Unreachable")
            }, "\(table)")
            // Past three more periods the worker is still Ready: its heartbeats reach the new leader.
            try await Task.sleep(for: .seconds(4))
            #expect(try await cluster.table(on: 3).contains("\(host(4)) Ready"), "\(cluster.log(4))")

            // Manager 1 comes back (same data root): Ready and Reachable again.
            for _ in 0..<100 where kill(leaderPid, 0) == 0 { try await Task.sleep(for: .milliseconds(50)) }
            try ClusterStateFile.startDaemon(1, in: cluster.stateFile, arguments: arguments)
            #expect(try await cluster.eventually(30) { try await cluster.table(on: 2).contains("\(host(1)) Ready Reachable") },
                    "\(cluster.log(1))")

            // What a rolling restart must keep.
            func snapshot() async throws -> [String] {
                let nodes = try await cluster.docker(2, ["node", "ls", "--format", "{{.ID}} {{.Hostname}}"]).stdout
                let labels = try await cluster.docker(2, ["node", "inspect", "-f", "{{.Spec.Role}} {{.Spec.Labels}}",
                                                          host(1), host(2), host(3), host(4)]).stdout
                let tokens = try await cluster.docker(2, ["swarm", "inspect", "-f", "{{.JoinTokens.Worker}} {{.JoinTokens.Manager}}"]).stdout
                let root = try await cluster.docker(2, ["info", "-f", "{{.Swarm.Cluster.ID}}"]).stdout
                let certificates = try (1...4).map { try String(contentsOfFile: cluster.certificates($0) + "/node.crt", encoding: .utf8) }
                return [nodes, labels, tokens, root] + certificates
            }
            let before = try await snapshot()
            #expect(before[1].contains("zone:a") && before[1].contains("after:failover"), "\(before[1])")
            for node in 1...3 {
                let stopped = try await ClusterStateFile.stopDaemon(node, in: cluster.stateFile)
                try ClusterStateFile.startDaemon(node, in: cluster.stateFile, arguments: stopped)
                var table: Set<String> = []
                let back = try await cluster.eventually(45) {
                    guard try await cluster.docker(node, ["node", "ls", "-q"]).status == 0 else { return false }
                    table = try await cluster.table(on: node)
                    return table.filter { $0.hasSuffix(" Ready Leader") || $0.hasSuffix(" Ready Reachable") }.count == 3
                }
                #expect(back, "manager \(node) after its restart: \(table)\n\(cluster.log(node))")
            }
            #expect(try await cluster.eventually(20) { try await cluster.table(on: 2).contains("\(host(4)) Ready") })
            #expect(try await snapshot() == before)
        }
    }
}
