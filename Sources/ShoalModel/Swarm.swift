import Foundation

// Swarm mode's domain values: the cluster, its nodes and this node's view of them. Shapes follow Docker's swarm
// objects (the API converts them 1:1); durations are seconds.

/// What `docker swarm init/update` can set.
public struct SwarmSpec: Codable, Sendable, Equatable {
    public var name: String = "default"
    public var labels: [String: String] = [:]
    /// How often agents heartbeat (`--dispatcher-heartbeat`, default 5 s). A node missing 3 periods is Down.
    public var heartbeatPeriod: TimeInterval = 5
    /// Node certificate lifetime (`--cert-expiry`, default 90 days).
    public var nodeCertExpiry: TimeInterval = 90 * 24 * 3600
    /// Kept for Docker's shape: tasks kept per slot.
    public var taskHistoryRetentionLimit: Int = 5

    public init() {}
}

public struct SwarmJoinTokens: Codable, Sendable, Equatable {
    public var worker: String
    public var manager: String

    public init(worker: String, manager: String) {
        self.worker = worker
        self.manager = manager
    }
}

/// The cluster object (`docker swarm inspect`).
public struct SwarmInfo: Codable, Sendable, Equatable {
    public var id: String
    public var version: UInt64
    public var createdAt: Date
    public var updatedAt: Date
    public var spec: SwarmSpec
    public var joinTokens: SwarmJoinTokens
    /// The root CA certificate (PEM); trust root of every node certificate.
    public var rootCACertificate: String

    public init(id: String, version: UInt64, createdAt: Date, updatedAt: Date, spec: SwarmSpec,
                joinTokens: SwarmJoinTokens, rootCACertificate: String) {
        self.id = id
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.spec = spec
        self.joinTokens = joinTokens
        self.rootCACertificate = rootCACertificate
    }
}

public enum NodeRoleName: String, Codable, Sendable, CaseIterable { case worker, manager }
public enum NodeAvailability: String, Codable, Sendable, CaseIterable { case active, pause, drain }
public enum NodeState: String, Codable, Sendable { case unknown, down, ready, disconnected }
public enum ManagerReachability: String, Codable, Sendable { case unknown, unreachable, reachable }

public struct NodeSpec: Codable, Sendable, Equatable {
    public var name: String = ""
    public var labels: [String: String] = [:]
    public var role: NodeRoleName
    public var availability: NodeAvailability = .active

    public init(role: NodeRoleName) { self.role = role }
}

public struct NodeDescription: Codable, Sendable, Equatable {
    public var hostname: String
    public var architecture: String
    public var os: String
    public var nanoCPUs: Int64
    public var memoryBytes: Int64
    public var engineVersion: String

    public init(hostname: String, architecture: String, os: String, nanoCPUs: Int64, memoryBytes: Int64,
                engineVersion: String) {
        self.hostname = hostname
        self.architecture = architecture
        self.os = os
        self.nanoCPUs = nanoCPUs
        self.memoryBytes = memoryBytes
        self.engineVersion = engineVersion
    }
}

public struct NodeStatus: Codable, Sendable, Equatable {
    public var state: NodeState
    public var message: String
    /// The address the manager sees the node at.
    public var address: String

    public init(state: NodeState, message: String = "", address: String) {
        self.state = state
        self.message = message
        self.address = address
    }
}

public struct ManagerStatus: Codable, Sendable, Equatable {
    public var leader: Bool
    public var reachability: ManagerReachability
    /// The manager's control address (`ip:port`).
    public var address: String

    public init(leader: Bool, reachability: ManagerReachability, address: String) {
        self.leader = leader
        self.reachability = reachability
        self.address = address
    }
}

/// A node of the cluster (`docker node inspect`).
public struct SwarmNode: Codable, Sendable, Equatable {
    public var id: String
    public var version: UInt64
    public var createdAt: Date
    public var updatedAt: Date
    public var spec: NodeSpec
    public var description: NodeDescription
    public var status: NodeStatus
    public var managerStatus: ManagerStatus?
    /// The node certificate's issuer view (`TLSInfo`): the root CA PEM.
    public var trustRoot: String

    public init(id: String, version: UInt64, createdAt: Date, updatedAt: Date, spec: NodeSpec,
                description: NodeDescription, status: NodeStatus, managerStatus: ManagerStatus?, trustRoot: String) {
        self.id = id
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.spec = spec
        self.description = description
        self.status = status
        self.managerStatus = managerStatus
        self.trustRoot = trustRoot
    }
}

/// `docker swarm init`.
public struct SwarmInitRequest: Sendable, Equatable {
    public var listenAddress: String
    public var advertiseAddress: String
    public var forceNewCluster: Bool
    public var spec: SwarmSpec

    public init(listenAddress: String = "0.0.0.0:2377", advertiseAddress: String = "", forceNewCluster: Bool = false,
                spec: SwarmSpec = SwarmSpec()) {
        self.listenAddress = listenAddress
        self.advertiseAddress = advertiseAddress
        self.forceNewCluster = forceNewCluster
        self.spec = spec
    }
}

/// `docker swarm join`.
public struct SwarmJoinRequest: Sendable, Equatable {
    public var listenAddress: String
    public var advertiseAddress: String
    public var remoteAddresses: [String]
    public var joinToken: String

    public init(listenAddress: String = "0.0.0.0:2377", advertiseAddress: String = "", remoteAddresses: [String],
                joinToken: String) {
        self.listenAddress = listenAddress
        self.advertiseAddress = advertiseAddress
        self.remoteAddresses = remoteAddresses
        self.joinToken = joinToken
    }
}

/// This node's swarm membership (`docker info`'s Swarm section).
public struct LocalSwarmState: Sendable, Equatable {
    public enum Membership: String, Sendable { case inactive, pending, active, error, locked }
    public var membership: Membership
    public var nodeID: String
    public var nodeAddress: String
    public var isManager: Bool
    public var error: String
    /// Managers this node knows (node ID, control address).
    public var remoteManagers: [(nodeID: String, address: String)]
    public var nodes: Int
    public var managers: Int
    public var cluster: SwarmInfo?

    public init(membership: Membership = .inactive, nodeID: String = "", nodeAddress: String = "",
                isManager: Bool = false, error: String = "", remoteManagers: [(nodeID: String, address: String)] = [],
                nodes: Int = 0, managers: Int = 0, cluster: SwarmInfo? = nil) {
        self.membership = membership
        self.nodeID = nodeID
        self.nodeAddress = nodeAddress
        self.isManager = isManager
        self.error = error
        self.remoteManagers = remoteManagers
        self.nodes = nodes
        self.managers = managers
        self.cluster = cluster
    }

    public static func == (lhs: LocalSwarmState, rhs: LocalSwarmState) -> Bool {
        lhs.membership == rhs.membership && lhs.nodeID == rhs.nodeID && lhs.nodeAddress == rhs.nodeAddress
            && lhs.isManager == rhs.isManager && lhs.error == rhs.error
            && lhs.remoteManagers.map(\.nodeID) == rhs.remoteManagers.map(\.nodeID)
            && lhs.remoteManagers.map(\.address) == rhs.remoteManagers.map(\.address)
            && lhs.nodes == rhs.nodes && lhs.managers == rhs.managers && lhs.cluster == rhs.cluster
    }
}
