import Foundation
import ShoalEtcd
import ShoalModel
import Testing
@testable import ShoalManager

/// Docker's raft options as an etcd member's flags.
@Suite struct StoreRaftSettingsTests {
    @Test func swarmkitsDefaultsAreEtcdsDefaultTimers() {
        let settings = StoreRaftSettings(raft: SwarmRaftSpec())
        // 1 and 10 ticks at 100 ms: etcd's 100/1000 ms, Shoal's fast failover.
        #expect(settings.timers == EtcdRaftTimers(heartbeatMilliseconds: 100, electionMilliseconds: 1000))
        #expect(settings.arguments == ["--snapshot-count=10000", "--max-snapshots=1"])
    }

    @Test func optionsMapToTheMembersFlags() throws {
        var raft = SwarmRaftSpec()
        raft.snapshotInterval = 5000
        raft.keepOldSnapshots = 3
        raft.electionTick = 30
        raft.heartbeatTick = 3
        var member = EtcdMemberConfiguration(name: "m", dataDirectory: "/tmp/m", clientURLs: ["https://127.0.0.1:1"],
                                             peerURLs: ["https://127.0.0.1:2"])
        StoreRaftSettings(raft: raft).apply(to: &member)
        #expect(member.arguments.contains("--snapshot-count=5000"))
        #expect(member.arguments.contains("--max-snapshots=4"))
        #expect(member.arguments.contains("--heartbeat-interval=300"))
        #expect(member.arguments.contains("--election-timeout=3000"))
    }

    @Test func settingsAreKeptBesideTheMember() throws {
        let directory = NSTemporaryDirectory() + "raft-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let paths = SwarmPaths(dataRoot: directory)
        try FileManager.default.createDirectory(atPath: paths.directory, withIntermediateDirectories: true)
        #expect(StoreRaftSettings.load(paths) == StoreRaftSettings(raft: SwarmRaftSpec()))
        var raft = SwarmRaftSpec()
        raft.keepOldSnapshots = 7
        try StoreRaftSettings(raft: raft).save(paths)
        #expect(StoreRaftSettings.load(paths).raft.keepOldSnapshots == 7)
    }
}
