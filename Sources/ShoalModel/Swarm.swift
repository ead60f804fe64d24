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
    /// `--autolock`: the managers' key material at rest is sealed with the swarm's unlock key, and a restarted
    /// manager stays locked until `docker swarm unlock` (Docker's `EncryptionConfig.AutoLockManagers`).
    public var autoLockManagers: Bool = false
    /// `--snapshot-interval`, `--max-snapshots` and the raft ticks (SwarmCAAndRaft.swift).
    public var raft = SwarmRaftSpec()
    /// Bumped by `docker swarm ca --rotate` without a certificate: a change starts a root rotation.
    public var forceRotate: UInt64 = 0
    /// `--external-ca`.
    public var externalCAs: [SwarmExternalCA] = []
    /// `docker swarm ca --rotate --ca-cert/--ca-key`: the root to rotate to. Passed to an update, never kept
    /// in the spec nor shown (Docker redacts them too).
    public var signingCACertificate = ""
    public var signingCAKey = ""

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
    /// The root CA's subject and public key (DER), Docker's `TLSInfo.CertIssuerSubject`/`CertIssuerPublicKey`.
    public var issuer: CertificateIssuer
    /// Set at init (`--data-path-port`, `--default-addr-pool`, `--default-addr-pool-mask-length`).
    public var dataPathPort: UInt32
    public var defaultAddressPools: [String]
    public var subnetSize: UInt32
    /// While `docker swarm ca --rotate` runs: the root every node moves to (PEM); empty otherwise.
    public var rotationRootCACertificate = ""
    /// The rotation root cross-signed by the current root (PEM), while a rotation runs.
    public var rotationCrossSignedCertificate = ""
    /// The `forceRotate` the last rotation answered: a spec with another value starts one.
    public var lastForcedRotation: UInt64 = 0

    public init(id: String, version: UInt64, createdAt: Date, updatedAt: Date, spec: SwarmSpec,
                joinTokens: SwarmJoinTokens, rootCACertificate: String, issuer: CertificateIssuer = CertificateIssuer(),
                dataPathPort: UInt32 = SwarmInitRequest.defaultDataPathPort,
                defaultAddressPools: [String] = SwarmInitRequest.defaultAddressPools,
                subnetSize: UInt32 = SwarmInitRequest.defaultSubnetSize) {
        self.id = id
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.spec = spec
        self.joinTokens = joinTokens
        self.rootCACertificate = rootCACertificate
        self.issuer = issuer
        self.dataPathPort = dataPathPort
        self.defaultAddressPools = defaultAddressPools
        self.subnetSize = subnetSize
    }
}

/// Who issued a certificate: the issuer's subject and public key (SubjectPublicKeyInfo), both DER.
public struct CertificateIssuer: Codable, Sendable, Equatable {
    public var subject: Data
    public var publicKey: Data

    public init(subject: Data = Data(), publicKey: Data = Data()) {
        self.subject = subject
        self.publicKey = publicKey
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
    /// The engine's labels (`dockerd --label`); `docker node ls --filter label=…` matches these.
    public var engineLabels: [String: String]
    public var plugins: [EnginePlugin]

    public init(hostname: String, architecture: String, os: String, nanoCPUs: Int64, memoryBytes: Int64,
                engineVersion: String, engineLabels: [String: String] = [:], plugins: [EnginePlugin] = []) {
        self.hostname = hostname
        self.architecture = architecture
        self.os = os
        self.nanoCPUs = nanoCPUs
        self.memoryBytes = memoryBytes
        self.engineVersion = engineVersion
        self.engineLabels = engineLabels
        self.plugins = plugins
    }
}

/// A plugin the node's engine offers (kind "Network", "Volume", "Log"; name "bridge", "local" …).
public struct EnginePlugin: Codable, Sendable, Equatable {
    public var kind: String
    public var name: String

    public init(kind: String, name: String) {
        self.kind = kind
        self.name = name
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
    /// The issuer of the node's certificate.
    public var issuer: CertificateIssuer
    /// The version the node had just before its spec last changed (0: unchanged since it joined).
    public var specChangedAfter: UInt64 = 0

    public init(id: String, version: UInt64, createdAt: Date, updatedAt: Date, spec: NodeSpec,
                description: NodeDescription, status: NodeStatus, managerStatus: ManagerStatus?, trustRoot: String,
                issuer: CertificateIssuer = CertificateIssuer()) {
        self.id = id
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.spec = spec
        self.description = description
        self.status = status
        self.managerStatus = managerStatus
        self.trustRoot = trustRoot
        self.issuer = issuer
    }
}

/// `docker swarm init`.
public struct SwarmInitRequest: Sendable, Equatable {
    /// Docker's defaults: VXLAN's IANA port, and overlay subnets carved as /24s out of 10.0.0.0/8.
    public static let defaultDataPathPort: UInt32 = 4789
    public static let defaultAddressPools = ["10.0.0.0/8"]
    public static let defaultSubnetSize: UInt32 = 24

    public var listenAddress: String
    public var advertiseAddress: String
    /// Where overlay (VXLAN) traffic goes; empty: the advertise address.
    public var dataPathAddress: String
    public var dataPathPort: UInt32
    /// Pools overlay networks get their subnets from, and the prefix length of each subnet.
    public var defaultAddressPools: [String]
    public var subnetSize: UInt32
    public var forceNewCluster: Bool
    /// The first node's availability (`--availability`).
    public var availability: NodeAvailability
    public var spec: SwarmSpec

    public init(listenAddress: String = "0.0.0.0:2377", advertiseAddress: String = "", dataPathAddress: String = "",
                dataPathPort: UInt32 = defaultDataPathPort, defaultAddressPools: [String] = defaultAddressPools,
                subnetSize: UInt32 = defaultSubnetSize, forceNewCluster: Bool = false,
                availability: NodeAvailability = .active, spec: SwarmSpec = SwarmSpec()) {
        self.listenAddress = listenAddress
        self.advertiseAddress = advertiseAddress
        self.dataPathAddress = dataPathAddress
        self.dataPathPort = dataPathPort
        self.defaultAddressPools = defaultAddressPools
        self.subnetSize = subnetSize
        self.forceNewCluster = forceNewCluster
        self.availability = availability
        self.spec = spec
    }
}

/// `docker swarm join`.
public struct SwarmJoinRequest: Sendable, Equatable {
    public var listenAddress: String
    public var advertiseAddress: String
    /// Where overlay (VXLAN) traffic goes; empty: the advertise address.
    public var dataPathAddress: String
    public var remoteAddresses: [String]
    public var joinToken: String
    /// The joining node's availability (`--availability`).
    public var availability: NodeAvailability

    public init(listenAddress: String = "0.0.0.0:2377", advertiseAddress: String = "", dataPathAddress: String = "",
                remoteAddresses: [String], joinToken: String, availability: NodeAvailability = .active) {
        self.listenAddress = listenAddress
        self.advertiseAddress = advertiseAddress
        self.dataPathAddress = dataPathAddress
        self.remoteAddresses = remoteAddresses
        self.joinToken = joinToken
        self.availability = availability
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

extension SwarmNode: SpecVersioned {}
