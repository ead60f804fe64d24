import Foundation
import ShoalEtcd
import ShoalModel

/// The swarm's raft options as this manager's etcd member takes them. The store's raft is etcd's, so Docker's
/// options map to etcd's flags: `SnapshotInterval` → `--snapshot-count`, `KeepOldSnapshots` (snapshots beyond
/// the current one) → `--max-snapshots` (files kept, the current one included), the ticks →
/// `--heartbeat-interval`/`--election-timeout` at `SwarmRaftSpec.tickMilliseconds` a tick.
///
/// etcd reads its flags at start only, and the member must start before the store can be read: each manager keeps
/// the options it last saw in the cluster spec beside its member (`<swarm>/raft.json`), and its member takes them
/// at its next start (`swarm update` is answered at once; nothing restarts behind the user's back).
struct StoreRaftSettings: Sendable, Equatable {
    var raft: SwarmRaftSpec

    static func path(_ paths: SwarmPaths) -> String { paths.directory + "/raft.json" }

    /// The options saved beside the member; swarmkit's defaults when none were.
    static func load(_ paths: SwarmPaths) -> StoreRaftSettings {
        guard let data = FileManager.default.contents(atPath: path(paths)),
              let raft = try? JSONDecoder().decode(SwarmRaftSpec.self, from: data) else {
            return StoreRaftSettings(raft: SwarmRaftSpec())
        }
        return StoreRaftSettings(raft: raft)
    }

    func save(_ paths: SwarmPaths) throws {
        try JSONEncoder().encode(raft).write(to: URL(fileURLWithPath: Self.path(paths)), options: .atomic)
    }

    var timers: EtcdRaftTimers {
        EtcdRaftTimers(heartbeatMilliseconds: raft.heartbeatTick * SwarmRaftSpec.tickMilliseconds,
                       electionMilliseconds: raft.electionTick * SwarmRaftSpec.tickMilliseconds)
    }

    var arguments: [String] {
        ["--snapshot-count=\(raft.snapshotInterval)", "--max-snapshots=\(raft.keepOldSnapshots + 1)"]
    }

    func apply(to member: inout EtcdMemberConfiguration) {
        member.timers = timers
        member.extraArguments += arguments
    }
}
