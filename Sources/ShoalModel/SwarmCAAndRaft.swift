import ShoalCore

// The swarm's raft and CA options as `docker swarm init/update` and `docker swarm ca` set them (Docker's
// RaftConfig and CAConfig).

/// Docker's raft options, with swarmkit's defaults. Shoal's store is etcd: a manager's member takes them at its
/// next start, a tick counting `tickMilliseconds` (see `EtcdRaftOptions`).
public struct SwarmRaftSpec: Codable, Sendable, Equatable {
    /// Log entries between snapshots (`--snapshot-interval`, etcd `--snapshot-count`).
    public var snapshotInterval: UInt64 = 10_000
    /// Snapshots kept beyond the current one (`--max-snapshots`, etcd `--max-snapshots` minus one).
    public var keepOldSnapshots: UInt64 = 0
    /// Entries kept for slow followers after a snapshot (etcd 3.4 fixes its own at 5,000: shown only).
    public var logEntriesForSlowFollowers: UInt64 = 500
    /// Ticks a follower waits for the leader before it stands for election.
    public var electionTick: Int = 10
    /// Ticks between the leader's heartbeats.
    public var heartbeatTick: Int = 1

    /// One tick of the store's raft. Docker's tick is a second; etcd's default timers (100 ms heartbeat,
    /// 1 s election timeout) are swarmkit's default ticks (1 and 10) at 100 ms a tick, which keeps Shoal's fast
    /// leader failover as the default.
    public static let tickMilliseconds = 100
    /// etcd refuses an election timeout over 50 s.
    public static let maximumElectionTick = 500

    public init() {}

    /// The checks the store's raft makes of the ticks, so a spec no member could start with is refused up front:
    /// etcd's raft wants the election tick above the heartbeat tick (its message, which swarmkit's raft shares),
    /// etcd itself an election timeout of at least five heartbeats and at most 50 s.
    public func validate() throws {
        guard electionTick > 0, heartbeatTick > 0 else {
            throw ShoalError.invalidArgument("raft ticks must be positive")
        }
        guard electionTick > heartbeatTick else {
            throw ShoalError.invalidArgument("election tick must be greater than heartbeat tick")
        }
        guard electionTick >= 5 * heartbeatTick else {
            throw ShoalError.invalidArgument(
                "election tick (\(electionTick)) must be at least 5 times the heartbeat tick (\(heartbeatTick)): "
                    + "the cluster store (etcd) requires it")
        }
        guard electionTick <= Self.maximumElectionTick else {
            throw ShoalError.invalidArgument(
                "election tick (\(electionTick)) is too long: the cluster store (etcd) allows at most "
                    + "\(Self.maximumElectionTick) ticks")
        }
    }
}

/// A CA that signs the managers' node certificates (`--external-ca protocol=cfssl,url=…`).
public struct SwarmExternalCA: Codable, Sendable, Equatable {
    public var `protocol`: String
    public var url: String
    public var options: [String: String]
    /// The root it issues from (PEM; empty: the cluster's root).
    public var caCertificate: String

    public init(protocol: String = "cfssl", url: String, options: [String: String] = [:], caCertificate: String = "") {
        self.protocol = `protocol`
        self.url = url
        self.options = options
        self.caCertificate = caCertificate
    }
}
