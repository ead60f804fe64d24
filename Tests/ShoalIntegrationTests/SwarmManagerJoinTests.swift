import Foundation
import ShoalCA
import ShoalClusterClient
import ShoalCore
import ShoalTestSupport
import Testing

/// A second manager joins with the manager token: its etcd member joins the store and it answers `docker node
/// ls` too; the store's leader is shown as Leader; it leaves without breaking the first manager's store. A
/// worker's certificate is refused by manager-only RPCs.
@Suite(.timeLimit(.minutes(4))) struct SwarmManagerJoinTests {
    @Test func managerJoinsAndWorkersCannotActAsManagers() async throws {
        try await TestRun.with("mjoin") { run in
            let cluster = LocalClusterFixture(run, prefix: "m", subnetOctet: 242)
            let up = try await cluster.up(nodes: 3, managers: 1, swarm: false)
            try #require(up.status == 0, "\(up)")
            let name = cluster.name
            func docker(_ node: Int, _ arguments: [String]) async throws -> Shell.Result { try await cluster.docker(node, arguments) }
            func log(_ node: Int) -> String { cluster.log(node) }
            let manager = cluster.address(1)
            try #require(try await docker(1, ["swarm", "init", "--advertise-addr", manager]).status == 0, "\(log(1))")
            let workerToken = try await docker(1, ["swarm", "join-token", "-q", "worker"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let managerToken = try await docker(1, ["swarm", "join-token", "-q", "manager"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)

            let worker = try await docker(3, ["swarm", "join", "--token", workerToken, "\(manager):2377"])
            #expect(worker.status == 0, "\(worker)\n\(log(3))")

            // The worker's own certificate, presented to a manager-only RPC: refused by role.
            let certificates = cluster.certificates(3)
            func file(_ name: String) throws -> String { try String(contentsOfFile: "\(certificates)/\(name)", encoding: .utf8) }
            // Membership.AddManager presented with `identity`: the error it ends with. Under a fully loaded machine
            // the call may time out first: only a refusal by role counts, so retry others.
            func addManagerRefusal(_ identity: ControlChannel.Identity) async throws -> ShoalError? {
                var refusal: ShoalError?
                for _ in 0..<5 where refusal?.code != .permissionDenied {
                    do {
                        _ = try await ManagerMembership.addManager(
                            managers: ["\(manager):2377"], rootCAPEM: try file("ca.crt"), identity: identity,
                            etcdPeerURL: "https://\(cluster.address(3)):2379", controlAddress: "\(cluster.address(3)):2377")
                        Issue.record("a manager was added with a certificate that must be refused")
                        return nil
                    } catch let error as ShoalError {
                        refusal = error
                        if error.code != .permissionDenied { try await Task.sleep(for: .seconds(1)) }
                    }
                }
                return refusal
            }
            let refusal = try await addManagerRefusal(
                ControlChannel.Identity(certificatePEM: try file("node.crt"), keyPEM: try file("node.key")))
            #expect(refusal?.code == .permissionDenied && refusal?.message.contains("swarm-manager") == true,
                    "\(String(describing: refusal))")
            // A manager certificate for this cluster signed by another CA: the caller is anonymous, so refused too.
            let workerIdentity = try NodeCertificate.parse(try file("node.crt"))
            let otherCA = try RootCA.create()
            let forgedKey = NodeKey.generate()
            let forged = try otherCA.sign(
                csr: try forgedKey.makeCSR(commonName: workerIdentity.nodeID), nodeID: workerIdentity.nodeID, role: .manager,
                clusterID: workerIdentity.clusterID, ipAddresses: [cluster.address(3)], validity: .seconds(3600))
            let forgedRefusal = try await addManagerRefusal(
                ControlChannel.Identity(certificatePEM: forged, keyPEM: forgedKey.pem))
            #expect(forgedRefusal?.code == .permissionDenied, "\(String(describing: forgedRefusal))")

            let joined = try await docker(2, ["swarm", "join", "--token", managerToken, "\(manager):2377"])
            #expect(joined.status == 0 && joined.stdout.contains("This node joined a swarm as a manager."),
                    "\(joined)\n\(log(2))\n\(log(1))")
            // The new store member joined as a learner (no vote until it caught up) and was then promoted.
            let managerLog = (try? String(contentsOfFile: cluster.dataRoot(1) + "/daemon.log", encoding: .utf8)) ?? ""
            #expect(managerLog.contains("as a learner") && managerLog.contains("store member is now a voter"), "\(log(1))")
            for node in [1, 2] {
                let table = try await docker(node, ["node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.ManagerStatus}}"])
                let rows = Set(table.stdout.split(separator: "\n").map { String($0).trimmingCharacters(in: .whitespaces) })
                #expect(rows == ["\(name)-n1 Ready Leader", "\(name)-n2 Ready Reachable", "\(name)-n3 Ready"],
                        "node \(node): \(table)")
            }
            #expect(try await docker(2, ["info", "-f", "{{.Swarm.ControlAvailable}} {{.Swarm.Nodes}} {{.Swarm.Managers}}"]).stdout
                == "true 3 2\n")
            let subject = try await Shell.sh("openssl x509 -noout -subject -in \(cluster.certificates(2))/node.crt")
            #expect(subject.contains("OU = swarm-manager"), "\(subject)")

            // The second manager leaves (--force, as Docker asks of a manager): the first keeps a working store.
            let refused = try await docker(2, ["swarm", "leave"])
            #expect(refused.status != 0 && refused.stderr.contains("participating as a manager"), "\(refused)")
            #expect(try await docker(2, ["swarm", "leave", "--force"]).status == 0, "\(log(2))")
            let after = try await docker(1, ["node", "ls", "--format", "{{.Hostname}} {{.ManagerStatus}}"])
            #expect(after.status == 0 && after.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.sorted()
                == ["\(name)-n1 Leader", "\(name)-n3"], "\(after)\n\(log(1))")
            #expect(try await docker(1, ["swarm", "update", "--dispatcher-heartbeat", "2s"]).status == 0)
        }
    }
}
