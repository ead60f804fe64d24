import Foundation
import ShoalCA
import ShoalCore
import ShoalModel
import ShoalTestSupport
import Testing

@testable import ShoalManager

/// Who gets the cluster's data key from a manager (DataKeys.GetDataKey): a caller with a manager certificate whom
/// the store records as a manager. A worker, an anonymous caller, and a node holding a manager certificate the
/// store no longer backs (a demoted manager's old one) get nothing. `swarm init` makes the key, 0600, on the
/// manager only; `swarm leave` takes it away. Real etcd on loopback, a manager and a worker in this process.
@Suite(.timeLimit(.minutes(6))) struct DataKeyHandoutTests {
    @Test func onlyRecordedManagersGetTheDataKey() async throws {
        try await TestRun.with("datakey") { run in
            let keyFile = "/swarm/certificates/" + ClusterDataKey.fileName
            try await InProcessSwarm.with(run) { manager, managerRoot, _, workerRoot in
                let stored = try #require(try ClusterDataKey.read(from: managerRoot + keyFile))
                let mode = try FileManager.default.attributesOfItem(atPath: managerRoot + keyFile)[.posixPermissions]
                #expect(mode as? Int == 0o600)
                #expect(!FileManager.default.fileExists(atPath: workerRoot + keyFile))

                let node = try #require(await manager.manager)
                #expect(try await node.dataKey(for: try CertificateRenewalTests.certificate(managerRoot)) == stored)

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
            }
            #expect(!FileManager.default.fileExists(atPath: run.path("manager") + keyFile))
        }
    }
}
