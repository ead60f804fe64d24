import Foundation
import ShoalCA
import ShoalCore
import ShoalEtcd
import ShoalModel
import ShoalOS
import ShoalTestSupport
import Testing

@testable import ShoalManager

/// Who gets the cluster's data key from a manager (DataKeys.GetDataKey): a caller with a manager certificate whom
/// the store records as a manager. A worker, an anonymous caller, and a node holding a manager certificate the
/// store no longer backs (a demoted manager's old one) get nothing. `swarm init` makes the key, 0600, on the
/// manager only. Real etcd on loopback, a manager and a worker in this process.
@Suite(.timeLimit(.minutes(6))) struct DataKeyHandoutTests {
    @Test func onlyRecordedManagersGetTheDataKey() async throws {
        try await TestRun.with("datakey") { run in
            // Three consecutive ports (control, etcd client, etcd peer) per node, away from other tests' ports.
            let base = 34000 + Int(ShortHash.fnv1a(run.name("p")) % 3000) * 3
            let managerRoot = run.path("manager"), workerRoot = run.path("worker")
            for root in [managerRoot, workerRoot] {
                run.onCleanup("etcd of \(root)") {
                    _ = try? await runBlocking { EtcdSupervisor.stopLeftoverMember(dataDirectory: root + "/swarm/etcd") }
                }
            }
            let slow = SwarmMembership.StoreTimeouts(call: .seconds(30), healthCall: .seconds(10), start: .seconds(180))
            let manager = SwarmMembership(dataRoot: managerRoot,
                                          description: CertificateRenewalTests.description("m"))
            await manager.setStoreTimeouts(slow)
            _ = try await manager.initialize(SwarmInitRequest(
                listenAddress: "127.0.0.1:\(base)", advertiseAddress: "127.0.0.1:\(base)", spec: SwarmSpec()))
            let worker = SwarmMembership(dataRoot: workerRoot, description: CertificateRenewalTests.description("w"))
            await worker.setStoreTimeouts(slow)
            do {
                let token = try await manager.inspect().joinTokens.worker
                try await CertificateRenewalTests.retrying {
                    try await worker.join(SwarmJoinRequest(listenAddress: "127.0.0.1:\(base + 3)",
                                                           advertiseAddress: "127.0.0.1:\(base + 3)",
                                                           remoteAddresses: ["127.0.0.1:\(base)"], joinToken: token))
                }
                let keyFile = "/swarm/certificates/" + ClusterDataKey.fileName
                let stored = try #require(try ClusterDataKey.read(from: managerRoot + keyFile))
                let mode = try FileManager.default.attributesOfItem(atPath: managerRoot + keyFile)[.posixPermissions]
                #expect(mode as? Int == 0o600)
                #expect(!FileManager.default.fileExists(atPath: workerRoot + keyFile))

                let node = try #require(await manager.manager)
                let managerCertificate = try CertificateRenewalTests.certificate(managerRoot)
                #expect(try await node.dataKey(for: managerCertificate) == stored)

                let workerCertificate = try CertificateRenewalTests.certificate(workerRoot)
                for caller in [workerCertificate, nil] {
                    do {
                        _ = try await node.dataKey(for: caller)
                        Issue.record("the data key went to \(String(describing: caller?.role))")
                    } catch let error as ShoalError {
                        #expect(error.code == .permissionDenied, "\(error)")
                    }
                }
                // A manager certificate for a node the store calls a worker (what a demoted manager keeps).
                let key = NodeKey.generate()
                let forged = try NodeCertificate.parse(try await node.objects.rootCA().sign(
                    csr: try key.makeCSR(commonName: workerCertificate.nodeID), nodeID: workerCertificate.nodeID,
                    role: .manager, clusterID: workerCertificate.clusterID, ipAddresses: ["127.0.0.1"],
                    validity: .seconds(3600)))
                do {
                    _ = try await node.dataKey(for: forged)
                    Issue.record("the data key went to a node the store calls a worker")
                } catch let error as ShoalError {
                    #expect(error.code == .permissionDenied && error.message.contains("managers only"), "\(error)")
                }
            } catch {
                await worker.shutdown()
                try? await manager.leave(force: true)
                throw error
            }
            await worker.shutdown()
            try await manager.leave(force: true)
            #expect(!FileManager.default.fileExists(atPath: managerRoot + "/swarm"))
        }
    }
}
