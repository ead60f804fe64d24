import Foundation
import ShoalCore
import ShoalModel

// Docker's swarm JSON (api/types/swarm: Spec, ClusterInfo, Swarm, Info) and its one
// conversion to ShoalModel. Durations are Go time.Duration: integer nanoseconds. Fields Go marks `omitempty` are
// optionals here, left nil when Go would leave them out.

/// Go's time.Duration on the wire.
enum Nanoseconds {
    static func from(_ seconds: TimeInterval) -> Int64 { Int64((seconds * 1_000_000_000).rounded()) }
    static func seconds(_ nanoseconds: Int64) -> TimeInterval { TimeInterval(nanoseconds) / 1_000_000_000 }
}

/// `Version` of every swarm object (`{"Index": n}`, the object's store revision).
struct ObjectVersionWire: Codable, Sendable {
    var Index: UInt64?

    init(_ index: UInt64) { Index = index == 0 ? nil : index }
}

struct SwarmSpecWire: Codable, Sendable {
    struct OrchestrationWire: Codable, Sendable {
        var TaskHistoryRetentionLimit: Int64?
    }
    struct RaftWire: Codable, Sendable {
        var SnapshotInterval: UInt64?
        var KeepOldSnapshots: UInt64?
        var LogEntriesForSlowFollowers: UInt64?
        var ElectionTick: Int?
        var HeartbeatTick: Int?
    }
    struct DispatcherWire: Codable, Sendable {
        var HeartbeatPeriod: Int64?
    }
    struct ExternalCAWire: Codable, Sendable {
        var `Protocol`: String?
        var URL: String?
        var Options: [String: String]?
        var CACert: String?
    }
    struct CAConfigWire: Codable, Sendable {
        var NodeCertExpiry: Int64?
        var ExternalCAs: [ExternalCAWire]?
        var SigningCACert: String?
        var SigningCAKey: String?
        var ForceRotate: UInt64?
    }
    struct DriverWire: Codable, Sendable {
        var Name: String?
        var Options: [String: String]?
    }
    struct TaskDefaultsWire: Codable, Sendable {
        var LogDriver: DriverWire?
    }
    struct EncryptionConfigWire: Codable, Sendable {
        var AutoLockManagers: Bool?
    }

    var Name: String?
    var Labels: [String: String]?
    var Orchestration: OrchestrationWire?
    var Raft: RaftWire?
    var Dispatcher: DispatcherWire?
    var CAConfig: CAConfigWire?
    var TaskDefaults: TaskDefaultsWire?
    var EncryptionConfig: EncryptionConfigWire?

    /// Swarmkit's floor for node certificates (ca.MinNodeCertExpiration).
    static let minimumNodeCertExpiry: TimeInterval = 3600

    /// The spec as init and update take it: Docker sends the whole spec, and a zero or missing value means the
    /// default (daemon/cluster/convert.SwarmSpecToGRPC). Messages are swarmkit's validateClusterSpec's.
    func spec() throws -> SwarmSpec {
        var spec = SwarmSpec()
        if let name = Name, !name.isEmpty { spec.name = name }
        spec.labels = Labels ?? [:]
        if let limit = Orchestration?.TaskHistoryRetentionLimit {
            guard let value = Int(exactly: limit) else {
                throw DockerAPIError.badRequest("invalid TaskHistoryRetentionLimit: \(limit)")
            }
            spec.taskHistoryRetentionLimit = value
        }
        if let period = Dispatcher?.HeartbeatPeriod, period != 0 {
            guard period > 0 else {
                throw DockerAPIError.badRequest("heartbeat time period cannot be a negative duration")
            }
            spec.heartbeatPeriod = Nanoseconds.seconds(period)
        }
        spec.autoLockManagers = EncryptionConfig?.AutoLockManagers ?? false
        if let expiry = CAConfig?.NodeCertExpiry, expiry != 0 {
            guard Nanoseconds.seconds(expiry) >= Self.minimumNodeCertExpiry else {
                throw DockerAPIError.badRequest("minimum certificate expiry time is: 1h0m0s")
            }
            spec.nodeCertExpiry = Nanoseconds.seconds(expiry)
        }
        spec.raft = try raftSpec()
        try applyCAConfig(to: &spec)
        try checkSupported()
        return spec
    }

    /// What Shoal cannot honour is refused rather than dropped, so a client never believes a setting took.
    private func checkSupported() throws {
        if TaskDefaults?.LogDriver != nil {
            throw ShoalError(.notImplemented, "a cluster-wide default log driver is not supported")
        }
    }
}

extension SwarmSpec {
    var wire: SwarmSpecWire {
        SwarmSpecWire(
            Name: name, Labels: labels,
            Orchestration: .init(TaskHistoryRetentionLimit: Int64(taskHistoryRetentionLimit)),
            Raft: raftWire,
            Dispatcher: .init(HeartbeatPeriod: Nanoseconds.from(heartbeatPeriod)),
            CAConfig: caConfigWire,
            TaskDefaults: .init(),
            EncryptionConfig: .init(AutoLockManagers: autoLockManagers))
    }
}

struct TLSInfoWire: Encodable, Sendable {
    var TrustRoot: String?
    /// Go []byte: base64, as JSONEncoder writes Data.
    var CertIssuerSubject: Data?
    var CertIssuerPublicKey: Data?

    init(trustRoot: String, issuer: CertificateIssuer) {
        TrustRoot = trustRoot.isEmpty ? nil : trustRoot
        CertIssuerSubject = issuer.subject.isEmpty ? nil : issuer.subject
        CertIssuerPublicKey = issuer.publicKey.isEmpty ? nil : issuer.publicKey
    }
}

/// `swarm.ClusterInfo`: the cluster as `/info` shows it (no join tokens).
struct ClusterInfoWire: Encodable, Sendable {
    var ID: String
    var Version: ObjectVersionWire
    var CreatedAt: String
    var UpdatedAt: String
    var Spec: SwarmSpecWire
    var TLSInfo: TLSInfoWire
    var RootRotationInProgress: Bool
    var DefaultAddrPool: [String]
    var SubnetSize: UInt32
    var DataPathPort: UInt32
}

struct JoinTokensWire: Encodable, Sendable {
    var Worker: String
    var Manager: String
}

/// `swarm.Swarm` (`GET /swarm`): ClusterInfo's fields and the join tokens, flat as Go embeds them.
struct SwarmWire: Encodable, Sendable {
    var cluster: ClusterInfoWire
    var JoinTokens: JoinTokensWire

    private enum CodingKeys: String, CodingKey { case JoinTokens }

    func encode(to encoder: any Encoder) throws {
        try cluster.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(JoinTokens, forKey: .JoinTokens)
    }
}

extension SwarmInfo {
    var clusterWire: ClusterInfoWire {
        ClusterInfoWire(
            ID: id, Version: ObjectVersionWire(version), CreatedAt: Wire.rfc3339Nano(createdAt),
            UpdatedAt: Wire.rfc3339Nano(updatedAt), Spec: spec.wire,
            TLSInfo: TLSInfoWire(trustRoot: rootCACertificate, issuer: issuer),
            RootRotationInProgress: !rotationRootCACertificate.isEmpty,
            DefaultAddrPool: defaultAddressPools, SubnetSize: subnetSize, DataPathPort: dataPathPort)
    }

    var wire: SwarmWire {
        SwarmWire(cluster: clusterWire, JoinTokens: .init(Worker: joinTokens.worker, Manager: joinTokens.manager))
    }
}

struct PeerWire: Encodable, Sendable {
    var NodeID: String
    var Addr: String
}

/// `swarm.Info`, the `Swarm` section of `/info`. `RemoteManagers` is `null` when there are none (no omitempty in
/// Go); `Nodes`, `Managers` and `Cluster` are omitted on non-managers.
struct InfoSwarmWire: Encodable, Sendable {
    var NodeID: String
    var NodeAddr: String
    var LocalNodeState: String
    var ControlAvailable: Bool
    var Error: String
    var RemoteManagers: [PeerWire]?
    var Nodes: Int?
    var Managers: Int?
    var Cluster: ClusterInfoWire?

    private enum CodingKeys: String, CodingKey {
        case NodeID, NodeAddr, LocalNodeState, ControlAvailable, Error, RemoteManagers, Nodes, Managers, Cluster
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(NodeID, forKey: .NodeID)
        try container.encode(NodeAddr, forKey: .NodeAddr)
        try container.encode(LocalNodeState, forKey: .LocalNodeState)
        try container.encode(ControlAvailable, forKey: .ControlAvailable)
        try container.encode(Error, forKey: .Error)
        if let RemoteManagers {
            try container.encode(RemoteManagers, forKey: .RemoteManagers)
        } else {
            try container.encodeNil(forKey: .RemoteManagers)
        }
        try container.encodeIfPresent(Nodes, forKey: .Nodes)
        try container.encodeIfPresent(Managers, forKey: .Managers)
        try container.encodeIfPresent(Cluster, forKey: .Cluster)
    }
}

extension LocalSwarmState {
    var infoWire: InfoSwarmWire {
        let controlAvailable = isManager && membership == .active
        return InfoSwarmWire(
            NodeID: nodeID, NodeAddr: nodeAddress, LocalNodeState: membership.rawValue,
            ControlAvailable: controlAvailable, Error: error,
            RemoteManagers: remoteManagers.isEmpty ? nil : remoteManagers.map { PeerWire(NodeID: $0.nodeID, Addr: $0.address) },
            Nodes: controlAvailable && nodes != 0 ? nodes : nil,
            Managers: controlAvailable && managers != 0 ? managers : nil,
            Cluster: controlAvailable ? cluster?.clusterWire : nil)
    }
}
