import Foundation

/// ShoalLocalCluster: `shoal cluster up/ls/down` — several Shoal hosts on one machine, each a network namespace
/// (with its own UTS namespace and host name) joined to the others by a bridge, each running its own daemon with
/// its own data root, exec root and socket. It records what it made in the cluster's state file and `down`
/// removes exactly that. It must never touch namespaces, links, processes or directories it did not record.

/// What `cluster up` made, kept in `<data>/cluster.json` so `ls` and `down` work from any later shell.
public struct LocalClusterState: Codable, Sendable, Equatable {
    public struct Node: Codable, Sendable, Equatable {
        public var index: Int
        public var hostname: String
        public var address: String
        public var role: String
        public var netns: String
        public var hostLink: String
        public var dataRoot: String
        public var execRoot: String
        public var socket: String
        public var pid: Int32
    }

    public var name: String
    public var created: Date
    public var subnet: String
    public var gateway: String
    public var bridge: String
    public var nodes: [Node]
    /// Whether `up` formed a swarm of the hosts (the first host is its first manager).
    public var swarm: Bool? = nil

    public var dockerHost: String { "unix://" + (nodes.first?.socket ?? "") }
}

/// Where a cluster's files live: runtime state (namespaces, exec roots, sockets) under `runRoot`, persistent
/// data (data roots, the state file) under `dataRoot`.
public struct LocalClusterLayout: Sendable {
    public var runRoot: String
    public var dataRoot: String

    public init(runRoot: String = "/run/shoal/clusters", dataRoot: String = "/var/lib/shoal/clusters") {
        self.runRoot = runRoot
        self.dataRoot = dataRoot
    }

    public func runDirectory(_ name: String) -> String { "\(runRoot)/\(name)" }
    public func dataDirectory(_ name: String) -> String { "\(dataRoot)/\(name)" }
    public func stateFile(_ name: String) -> String { "\(dataDirectory(name))/cluster.json" }
}
