import Foundation
import ShoalCA
import ShoalCore
import ShoalEtcd
import ShoalModel
import ShoalOS
import ShoalTestSupport
import Testing

@testable import ShoalManager

/// Certificate renewal as the renewal timer runs it (the timer's window is RenewalSchedule's, tested in
/// ShoalCATests): a manager signs a new certificate for itself, a worker gets one from a manager over the control
/// API with its current certificate. Both get a new key, keep their node ID and role, and expire when the
/// cluster's `--cert-expiry` says (from now: notBefore is backdated for clock skew); the manager's control API presents the new certificate and the worker's
/// session carries on with its new one. Real etcd and gRPC on loopback, two nodes in this process.
@Suite(.timeLimit(.minutes(6))) struct CertificateRenewalTests {
    static func description(_ name: String) -> NodeDescription {
        NodeDescription(hostname: name, architecture: "x86_64", os: "linux", nanoCPUs: 1_000_000_000,
                        memoryBytes: 1 << 30, engineVersion: "test")
    }

    /// Runs `body` up to three times while it fails for want of an answer (a deadline on a busy test process).
    static func retrying(_ body: () async throws -> Void) async throws {
        for attempt in 1...3 {
            do {
                return try await body()
            } catch let error as ShoalError where error.code == .unavailable && attempt < 3 {
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// The node's certificate and key files as they are now.
    static func files(_ dataRoot: String) throws -> [String] {
        try ["node.crt", "node.key"].map { try String(contentsOfFile: dataRoot + "/swarm/certificates/" + $0, encoding: .utf8) }
    }

    static func certificate(_ dataRoot: String) throws -> NodeCertificate {
        try NodeCertificate.parse(try String(contentsOfFile: dataRoot + "/swarm/certificates/node.crt", encoding: .utf8))
    }

    @Test func managersAndWorkersRenewWithTheClusterExpiry() async throws {
        try await TestRun.with("renew") { run in
            // Three consecutive ports (control, etcd client, etcd peer) per node, away from other tests' ports.
            let base = 21000 + Int(ShortHash.fnv1a(run.name("p")) % 4000) * 3
            let managerRoot = run.path("manager"), workerRoot = run.path("worker")
            for root in [managerRoot, workerRoot] {
                run.onCleanup("etcd of \(root)") {
                    // It waits for the member to go: on a dispatch thread, off the pool.
                    _ = try? await runBlocking { EtcdSupervisor.stopLeftoverMember(dataDirectory: root + "/swarm/etcd") }
                }
            }
            // This test process also runs every other suite, whose blocking tests can hold its threads for many
            // seconds: give the in-process store calls the slack the etcd tests have.
            let slow = SwarmMembership.StoreTimeouts(call: .seconds(30), healthCall: .seconds(10), start: .seconds(180))
            let manager = SwarmMembership(dataRoot: managerRoot, description: Self.description("m"))
            await manager.setStoreTimeouts(slow)
            var spec = SwarmSpec()
            spec.nodeCertExpiry = 2 * 3600
            spec.heartbeatPeriod = 1
            _ = try await manager.initialize(SwarmInitRequest(
                listenAddress: "127.0.0.1:\(base)", advertiseAddress: "127.0.0.1:\(base)", spec: spec))
            let worker = SwarmMembership(dataRoot: workerRoot, description: Self.description("w"))
            await worker.setStoreTimeouts(slow)
            do {
                let token = try await manager.inspect().joinTokens.worker
                // Control API calls have 10 s deadlines: on a busy test process, try again.
                try await Self.retrying {
                    try await worker.join(SwarmJoinRequest(listenAddress: "127.0.0.1:\(base + 3)",
                                                           advertiseAddress: "127.0.0.1:\(base + 3)",
                                                           remoteAddresses: ["127.0.0.1:\(base)"], joinToken: token))
                }

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
                try await Self.retrying { try await worker.renewCertificate() }
                let workerAfter = try Self.certificate(workerRoot), workerAfterFiles = try Self.files(workerRoot)
                #expect(workerAfterFiles[0] != workerBeforeFiles[0] && workerAfterFiles[1] != workerBeforeFiles[1])
                #expect(try NodeKey(pem: workerAfterFiles[1]).matches(workerAfter))
                #expect(workerAfter.nodeID == workerBefore.nodeID && workerAfter.role == .worker)
                #expect(abs(workerAfter.notAfter.timeIntervalSinceNow - 2 * 3600) < 600)
                let root = try RootCA(certificatePEM: try await manager.inspect().rootCACertificate)
                try workerAfter.verify(against: root)
                try after.verify(against: root)

                // The worker's new session (new certificate) heartbeats to the manager.
                let renewedAt = ContinuousClock.now
                var heard = false
                for _ in 0..<600 where !heard {
                    if let seen = await manager.manager?.leaderServices?.health.lastSeen(workerAfter.nodeID), seen > renewedAt {
                        heard = true
                    } else {
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
                #expect(heard, "no heartbeat from the renewed worker")
                #expect(try await manager.node(workerAfter.nodeID).status.state == .ready)
            } catch {
                await worker.shutdown()
                try? await manager.leave(force: true)
                throw error
            }
            await worker.shutdown()
            try await manager.leave(force: true)
        }
    }
}
