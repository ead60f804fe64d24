import Foundation
import Hummingbird
import ShoalModel
import Testing

@testable import ShoalDockerAPI

/// The raft and CA options of `POST /swarm/init`, `/swarm/update` and `GET /swarm` (`--snapshot-interval`,
/// `--max-snapshots`, raft ticks, `docker swarm ca --rotate`), as Docker's daemon converts them.
@Suite struct SwarmCAAndRaftRouteTests {
    @Test func updatePassesRaftOptionsAndTheRotation() async throws {
        let swarm = FakeSwarmBackend(active: true)
        try await RouteTest.run(swarm) { client in
            let body = """
                {"Name":"default","Raft":{"SnapshotInterval":5000,"KeepOldSnapshots":2,"LogEntriesForSlowFollowers":700,
                 "ElectionTick":20,"HeartbeatTick":2},
                 "CAConfig":{"NodeCertExpiry":7200000000000,"ForceRotate":3,"SigningCACert":"CERT","SigningCAKey":"KEY"}}
                """
            let response = try await client.post("/swarm/update?version=10", body)
            #expect(response.status == .ok, "\(response.text)")
            let json = try await client.get("/swarm").json()
            #expect(int64(json, "Spec", "Raft", "SnapshotInterval") == 5000)
            #expect(int64(json, "Spec", "Raft", "KeepOldSnapshots") == 2)
            #expect(int64(json, "Spec", "Raft", "LogEntriesForSlowFollowers") == 700)
            #expect(int64(json, "Spec", "Raft", "ElectionTick") == 20)
            #expect(int64(json, "Spec", "Raft", "HeartbeatTick") == 2)
            #expect(int64(json, "Spec", "CAConfig", "ForceRotate") == 3)
            // Docker never shows the signing certificate or key.
            #expect(keys(json, "Spec", "CAConfig") == ["NodeCertExpiry", "ForceRotate"])
        }
        let update = try #require(await swarm.updates.first)
        #expect(update.spec.raft.snapshotInterval == 5000)
        #expect(update.spec.raft.keepOldSnapshots == 2)
        #expect(update.spec.raft.electionTick == 20 && update.spec.raft.heartbeatTick == 2)
        #expect(update.spec.forceRotate == 3)
        #expect(update.spec.signingCACertificate == "CERT" && update.spec.signingCAKey == "KEY")
    }

    /// Zeros are the defaults (Go's omitempty and MergeSwarmSpecToGRPC); KeepOldSnapshots is a pointer: 0 is a value.
    @Test func zerosTakeTheDefaults() async throws {
        let spec = try SwarmSpecWire(Raft: .init(SnapshotInterval: 0, KeepOldSnapshots: nil,
                                                 LogEntriesForSlowFollowers: 0, ElectionTick: 0, HeartbeatTick: 0))
            .spec()
        #expect(spec.raft == SwarmRaftSpec())
    }

    @Test func inspectShowsARotationInProgress() throws {
        var info = SwarmInfo(id: "c", version: 1, createdAt: Date(), updatedAt: Date(), spec: SwarmSpec(),
                             joinTokens: SwarmJoinTokens(worker: "w", manager: "m"), rootCACertificate: "OLD")
        #expect(info.clusterWire.RootRotationInProgress == false)
        info.rotationRootCACertificate = "NEW"
        #expect(info.clusterWire.RootRotationInProgress == true)
        #expect(info.clusterWire.TLSInfo.TrustRoot == "OLD")
    }
}
