/// TLS for one side of an etcd member (its clients, or its peers): PEM files, and whether to demand a
/// certificate signed by `trustedCAFile` from whoever connects.
public struct EtcdServerTLS: Sendable, Hashable {
    public var certificateFile: String
    public var keyFile: String
    public var trustedCAFile: String
    /// `--client-cert-auth` / `--peer-client-cert-auth`.
    public var requireClientCertificate: Bool

    public init(certificateFile: String, keyFile: String, trustedCAFile: String, requireClientCertificate: Bool = true) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.trustedCAFile = trustedCAFile
        self.requireClientCertificate = requireClientCertificate
    }
}

/// One member of `--initial-cluster`.
public struct EtcdInitialMember: Sendable, Hashable {
    public var name: String
    public var peerURL: String

    public init(name: String, peerURL: String) {
        self.name = name
        self.peerURL = peerURL
    }
}

/// Raft timers in milliseconds (`--heartbeat-interval`, `--election-timeout`).
public struct EtcdRaftTimers: Sendable, Hashable {
    public var heartbeatMilliseconds: Int
    public var electionMilliseconds: Int

    public init(heartbeatMilliseconds: Int, electionMilliseconds: Int) {
        self.heartbeatMilliseconds = heartbeatMilliseconds
        self.electionMilliseconds = electionMilliseconds
    }

    /// 10/100 ms: on loopback a leader failover then takes ~0.3 s instead of ~1 s (FIELD-NOTES). Tests only.
    public static let fastLoopback = EtcdRaftTimers(heartbeatMilliseconds: 10, electionMilliseconds: 100)
}

/// How to run one etcd member: the flags of `/usr/bin/etcd` (Debian etcd-server 3.4) that Shoal sets.
public struct EtcdMemberConfiguration: Sendable, Hashable {
    public enum ClusterState: String, Sendable, Hashable {
        /// Bootstrapping a new cluster: every member in `initialCluster` starts with `new`.
        case new
        /// Joining a cluster that runs, after `memberAdd`.
        case existing
    }

    public var executable = "/usr/bin/etcd"
    public var name: String
    public var dataDirectory: String
    public var listenClientURLs: [String]
    public var advertiseClientURLs: [String]
    public var listenPeerURLs: [String]
    public var advertisePeerURLs: [String]
    /// Every member's name and peer URL (`--initial-cluster name=url,…`); only read on first start.
    public var initialCluster: [EtcdInitialMember]
    public var initialClusterState: ClusterState
    /// Keeps two clusters bootstrapped from the same peer URLs apart.
    public var initialClusterToken: String
    public var clientTLS: EtcdServerTLS?
    public var peerTLS: EtcdServerTLS?
    /// nil keeps etcd's 100/1000 ms.
    public var timers: EtcdRaftTimers?
    /// Where etcd's own output goes (appended).
    public var logFile: String
    /// `--max-txn-ops`: etcd's default (128) is far below what a leader writes at scale; the cluster store sends
    /// its large writes and reads of many keys in transactions of up to 1,000 operations each (plus conditions).
    public var maxTransactionOperations = 2048
    /// `--auto-compaction-retention` (periodic): etcd keeps every revision until compacted, so a store that takes
    /// hundreds of thousands of task writes grows without bound; history older than this goes. A watch that falls
    /// that far behind sees `.compacted` and its follower reads the table anew.
    public var compactionRetention = "5m"
    public var extraArguments: [String] = []

    public init(
        name: String, dataDirectory: String, clientURLs: [String], peerURLs: [String],
        initialCluster: [EtcdInitialMember]? = nil, initialClusterState: ClusterState = .new,
        initialClusterToken: String = "shoal", clientTLS: EtcdServerTLS? = nil, peerTLS: EtcdServerTLS? = nil,
        timers: EtcdRaftTimers? = nil, logFile: String? = nil
    ) {
        self.name = name
        self.dataDirectory = dataDirectory
        listenClientURLs = clientURLs
        advertiseClientURLs = clientURLs
        listenPeerURLs = peerURLs
        advertisePeerURLs = peerURLs
        self.initialCluster = initialCluster ?? peerURLs.map { EtcdInitialMember(name: name, peerURL: $0) }
        self.initialClusterState = initialClusterState
        self.initialClusterToken = initialClusterToken
        self.clientTLS = clientTLS
        self.peerTLS = peerTLS
        self.timers = timers
        self.logFile = logFile ?? dataDirectory + ".log"
    }

    /// The etcd command line (without argv[0]).
    public var arguments: [String] {
        var arguments = [
            "--name=\(name)",
            "--data-dir=\(dataDirectory)",
            "--listen-client-urls=\(listenClientURLs.joined(separator: ","))",
            "--advertise-client-urls=\(advertiseClientURLs.joined(separator: ","))",
            "--listen-peer-urls=\(listenPeerURLs.joined(separator: ","))",
            "--initial-advertise-peer-urls=\(advertisePeerURLs.joined(separator: ","))",
            "--initial-cluster=\(initialCluster.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ","))",
            "--initial-cluster-state=\(initialClusterState.rawValue)",
            "--initial-cluster-token=\(initialClusterToken)",
            // zap writes structured lines to stderr (our log file); 3.4's default capnslog is deprecated.
            "--logger=zap", "--log-outputs=stderr",
            "--max-txn-ops=\(maxTransactionOperations)",
            "--auto-compaction-mode=periodic", "--auto-compaction-retention=\(compactionRetention)",
        ]
        if let tls = clientTLS {
            arguments += [
                "--cert-file=\(tls.certificateFile)", "--key-file=\(tls.keyFile)",
                "--trusted-ca-file=\(tls.trustedCAFile)",
            ]
            if tls.requireClientCertificate { arguments.append("--client-cert-auth") }
        }
        if let tls = peerTLS {
            arguments += [
                "--peer-cert-file=\(tls.certificateFile)", "--peer-key-file=\(tls.keyFile)",
                "--peer-trusted-ca-file=\(tls.trustedCAFile)",
            ]
            if tls.requireClientCertificate { arguments.append("--peer-client-cert-auth") }
        }
        if let timers {
            arguments += [
                "--heartbeat-interval=\(timers.heartbeatMilliseconds)",
                "--election-timeout=\(timers.electionMilliseconds)",
            ]
        }
        return arguments + extraArguments
    }
}
