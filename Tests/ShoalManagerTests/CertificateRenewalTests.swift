import Foundation
import ShoalCA
import ShoalCore
import ShoalModel
import ShoalTestSupport
import Testing

@testable import ShoalManager

/// Certificate renewal as the renewal timer runs it (the timer's window is RenewalSchedule's, tested in
/// ShoalCATests): a manager signs a new certificate for itself, a worker gets one from a manager over the control
/// API with its current certificate. Both get a new key, keep their node ID and role, and expire when the
/// cluster's `--cert-expiry` says (from now: notBefore is backdated for clock skew); the manager's control API presents the new certificate and the worker's
/// session carries on with its new one. Real etcd and gRPC on loopback, two nodes in this process.
@Suite(.timeLimit(.minutes(6))) struct CertificateRenewalTests {
    /// The node's certificate and key files as they are now.
    static func files(_ dataRoot: String) throws -> [String] {
        try ["node.crt", "node.key"].map { try String(contentsOfFile: dataRoot + "/swarm/certificates/" + $0, encoding: .utf8) }
    }

    static func certificate(_ dataRoot: String) throws -> NodeCertificate {
        try NodeCertificate.parse(try String(contentsOfFile: dataRoot + "/swarm/certificates/node.crt", encoding: .utf8))
    }

    @Test func managersAndWorkersRenewWithTheClusterExpiry() async throws {
        try await TestRun.with("renew") { run in
            var spec = SwarmSpec()
            spec.nodeCertExpiry = 2 * 3600
            spec.heartbeatPeriod = 1
            try await InProcessSwarm.with(run, spec: spec) { manager, managerRoot, worker, workerRoot in
                // The manager.
                let before = try Self.certificate(managerRoot), beforeFiles = try Self.files(managerRoot)
                try await manager.renewCertificate()
                let after = try Self.certificate(managerRoot), afterFiles = try Self.files(managerRoot)
                #expect(afterFiles[0] != beforeFiles[0] && afterFiles[1] != beforeFiles[1])
                #expect(try NodeKey(pem: afterFiles[1]).matches(after))
                #expect(after.nodeID == before.nodeID && after.role == .manager && after.clusterID == before.clusterID)
                #expect(abs(after.notAfter.timeIntervalSinceNow - 2 * 3600) < 600,
                        "\(after.notBefore) … \(after.notAfter)")

                // The worker, through the manager's control API (which now presents the renewed certificate).
                let workerBefore = try Self.certificate(workerRoot), workerBeforeFiles = try Self.files(workerRoot)
                try await InProcessSwarm.retrying { try await worker.renewCertificate() }
                let workerAfter = try Self.certificate(workerRoot), workerAfterFiles = try Self.files(workerRoot)
                #expect(workerAfterFiles[0] != workerBeforeFiles[0] && workerAfterFiles[1] != workerBeforeFiles[1])
                #expect(try NodeKey(pem: workerAfterFiles[1]).matches(workerAfter))
                #expect(workerAfter.nodeID == workerBefore.nodeID && workerAfter.role == .worker)
                #expect(abs(workerAfter.notAfter.timeIntervalSinceNow - 2 * 3600) < 600)
                let root = try RootCA(certificatePEM: try await manager.inspect().rootCACertificate)
                try workerAfter.verify(against: root)
                try after.verify(against: root)

                // The worker's new session (new certificate) heartbeats to the manager, which holds the node Ready (on a
                // loaded machine the session's gap may have marked it Down; the heartbeat that is heard writes Ready
                // just after it is counted, so both are awaited).
                let renewedAt = ContinuousClock.now
                var heard = false, ready = false
                for _ in 0..<600 where !(heard && ready) {
                    if !heard, let seen = await manager.manager?.leaderServices?.health.lastSeen(workerAfter.nodeID),
                       seen > renewedAt {
                        heard = true
                    }
                    if heard { ready = try await manager.node(workerAfter.nodeID).status.state == .ready }
                    if !(heard && ready) { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(heard, "no heartbeat from the renewed worker")
                #expect(ready, "the renewed worker is not Ready")
            }
        }
    }
}
