import Foundation
import ShoalCA
import ShoalCore
import ShoalOS

/// ShoalManager: swarm mode on a node, in three rooms.
/// - `SwarmMembership` (every node in a swarm): this node's configuration, its agent, certificate renewal and
///   role changes; the daemon holds it.
/// - `ManagerNode` (managers): the etcd member it supervises, the control API it serves, the monitor that follows
///   who leads, and the manager-only Docker calls answered from the store.
/// - `LeaderServices` (the leader, one term at a time): node sessions, node health, the network allocator, the
///   writers of services and of secrets and configs, and the endpoint feed, every write fenced by the term.
/// The swarm's objects live in the cluster store's typed tables (`SwarmObjects`); nothing here knows a key. It
/// never touches containers (that is the engine's job, driven by the agent) and never lets a worker reach the
/// store.

/// Where this node keeps its swarm identity: `<data-root>/swarm/` with the CA certificate, its node key and
/// certificate (the key never leaves the node), a manager's data key, and `state.json`; etcd's data under `etcd/`.
public struct SwarmPaths: Sendable {
    public var directory: String
    /// A sealed manager's key material in clear while it is unlocked (`SwarmKeyFiles`): under the daemon's exec
    /// root (`/run`, memory on a usual host), never in the data root; removed when the daemon stops.
    public var unlockedKeys: String

    /// `runRoot` is the daemon's exec root; without one (in-process tests) the clear copies go beside the swarm
    /// directory.
    public init(dataRoot: String, runRoot: String? = nil) {
        directory = dataRoot + "/swarm"
        unlockedKeys = (runRoot ?? dataRoot) + "/swarm-unlocked"
    }

    public var state: String { directory + "/state.json" }
    public var tls: String { directory + "/certificates" }
    public var caCertificate: String { tls + "/ca.crt" }
    public var nodeCertificate: String { tls + "/node.crt" }
    public var nodeKey: String { tls + "/node.key" }
    /// Managers only: the cluster's data key (`ClusterDataKey`), beside the node key and as closely kept.
    public var dataKey: String { tls + "/" + ClusterDataKey.fileName }
    public var etcdData: String { directory + "/etcd" }
    public var etcdLog: String { directory + "/etcd.log" }
}

/// This node's membership, kept across daemon restarts.
public struct SwarmLocalConfig: Codable, Sendable, Equatable {
    public var nodeID: String
    public var clusterID: String
    public var role: String
    /// `ip:port` of the control API (`--advertise-addr`), and what it listens on (`--listen-addr`).
    public var advertiseAddress: String
    public var listenAddress: String
    /// etcd's client and peer ports on the advertise address (control port + 1 and + 2).
    public var etcdClientPort: Int
    public var etcdPeerPort: Int
    /// Workers: the managers' control addresses (`ip:port`), from `join` and then from the session.
    public var managers: [String]? = nil

    public var advertiseHost: String {
        String(advertiseAddress.split(separator: ":").first ?? "")
    }

    static func load(_ paths: SwarmPaths) -> SwarmLocalConfig? {
        guard let data = FileManager.default.contents(atPath: paths.state) else { return nil }
        return try? JSONDecoder().decode(SwarmLocalConfig.self, from: data)
    }

    func save(_ paths: SwarmPaths) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(self)), to: paths.state, mode: 0o600)
    }
}

/// Docker's answers for swarm calls on a node in the wrong state.
public enum SwarmErrors {
    public static var notManager: ShoalError {
        ShoalError(.unavailable,
                   "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.")
    }
    /// A worker asked a manager-only question (Docker's errNoManager for a node whose swarm node is a worker).
    public static var workerNotManager: ShoalError {
        ShoalError(.unavailable,
                   "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager.")
    }
    public static var alreadyInSwarm: ShoalError {
        ShoalError(.unavailable,
                   "This node is already part of a swarm. Use \"docker swarm leave\" to leave this swarm and join another one.")
    }
    public static var notInSwarm: ShoalError { ShoalError(.unavailable, "This node is not part of a swarm") }
    public static var lastManager: ShoalError {
        ShoalError(.unavailable,
                   "You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message.")
    }
    /// What a removed node hears when it calls (Docker: "node is removed from cluster").
    public static let removedMessage = "node is removed from cluster"
    static func removedNode(_ nodeID: String) -> ShoalError {
        ShoalError.permissionDenied("\(removedMessage): \(nodeID)")
    }
    /// A follower refusing a node session (the agent moves on to the next manager).
    public static let notLeaderMessage = "this manager is not the leader: open the session with the leader"
    public static var outOfSequence: ShoalError {
        ShoalError(.internalError, "rpc error: code = Unknown desc = update out of sequence")
    }
}
