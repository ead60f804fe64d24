import Foundation
import ShoalCore
import ShoalEtcd
import ShoalModel
import ShoalOS
import ShoalTestSupport

@testable import ShoalManager

/// A swarm of two nodes in this test process: a manager (`swarm init` with `spec`) and a worker joined to it, on
/// loopback ports no other test uses, with real etcd and gRPC. Both leave (and their etcd members stop) when `body`
/// ends, whether it throws or not.
enum InProcessSwarm {
    static func with(_ run: TestRun, spec: SwarmSpec = SwarmSpec(),
                     _ body: (_ manager: SwarmMembership, _ managerRoot: String, _ worker: SwarmMembership,
                              _ workerRoot: String) async throws -> Void) async throws {
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
        let manager = SwarmMembership(dataRoot: managerRoot, description: description("m"))
        await manager.setStoreTimeouts(slow)
        _ = try await manager.initialize(SwarmInitRequest(
            listenAddress: "127.0.0.1:\(base)", advertiseAddress: "127.0.0.1:\(base)", spec: spec))
        let worker = SwarmMembership(dataRoot: workerRoot, description: description("w"))
        await worker.setStoreTimeouts(slow)
        do {
            let token = try await manager.inspect().joinTokens.worker
            // Control API calls have 10 s deadlines: on a busy test process, try again.
            try await retrying {
                try await worker.join(SwarmJoinRequest(listenAddress: "127.0.0.1:\(base + 3)",
                                                       advertiseAddress: "127.0.0.1:\(base + 3)",
                                                       remoteAddresses: ["127.0.0.1:\(base)"], joinToken: token))
            }
            try await body(manager, managerRoot, worker, workerRoot)
        } catch {
            await worker.shutdown()
            try? await manager.leave(force: true)
            throw error
        }
        await worker.shutdown()
        try await manager.leave(force: true)
    }

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
}
