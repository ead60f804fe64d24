import Foundation
import ShoalClusterClient
import ShoalClusterProto
import ShoalClusterStore
import ShoalModel

// The one conversion edge between the swarm's objects as the store keeps them (protobuf, in typed tables) and as
// the domain and the Docker API show them. A domain object's `version` is the store's version of the object.

extension SwarmNode {
    init(_ stored: Versioned<Shoal_Cluster_V1_Node>) {
        let node = stored.object
        var spec = NodeSpec(role: NodeRoleName(rawValue: node.spec.role) ?? .worker)
        spec.name = node.spec.name
        spec.labels = node.spec.labels
        spec.availability = NodeAvailability(rawValue: node.spec.availability) ?? .active
        self.init(
            id: node.id, version: UInt64(stored.version), createdAt: Date(milliseconds: node.createdAtMs),
            updatedAt: Date(milliseconds: node.updatedAtMs), spec: spec, description: NodeDescription(node.description_p),
            status: NodeStatus(state: NodeState(rawValue: node.status.state) ?? .unknown, message: node.status.message,
                               address: node.status.address),
            managerStatus: node.hasManagerStatus
                ? ManagerStatus(leader: false,
                                reachability: ManagerReachability(rawValue: node.managerStatus.reachability) ?? .unknown,
                                address: node.managerStatus.address)
                : nil,
            trustRoot: node.trustRootPem,
            issuer: CertificateIssuer(subject: node.certIssuerSubject, publicKey: node.certIssuerPublicKey))
        specChangedAfter = node.specChangedAfter
    }

    /// The node as the store keeps it (without its version, which is the store's, nor who leads, which is the
    /// raft's).
    var stored: Shoal_Cluster_V1_Node {
        var node = Shoal_Cluster_V1_Node()
        node.id = id
        node.spec.name = spec.name
        node.spec.labels = spec.labels
        node.spec.role = spec.role.rawValue
        node.spec.availability = spec.availability.rawValue
        node.description_p = description.message
        node.status.state = status.state.rawValue
        node.status.message = status.message
        node.status.address = status.address
        if let managerStatus {
            node.managerStatus.reachability = managerStatus.reachability.rawValue
            node.managerStatus.address = managerStatus.address
        }
        node.trustRootPem = trustRoot
        node.certIssuerSubject = issuer.subject
        node.certIssuerPublicKey = issuer.publicKey
        node.createdAtMs = createdAt.milliseconds
        node.updatedAtMs = updatedAt.milliseconds
        node.specChangedAfter = specChangedAfter
        return node
    }
}

extension SwarmInfo {
    init(_ stored: Versioned<Shoal_Cluster_V1_Cluster>) {
        let cluster = stored.object
        var spec = SwarmSpec()
        spec.name = cluster.spec.name
        spec.labels = cluster.spec.labels
        spec.heartbeatPeriod = TimeInterval(cluster.spec.heartbeatPeriodMs) / 1000
        spec.nodeCertExpiry = TimeInterval(cluster.spec.nodeCertExpiryS)
        spec.taskHistoryRetentionLimit = Int(cluster.spec.taskHistoryRetentionLimit)
        spec.setCAAndRaft(from: cluster.spec)
        spec.autoLockManagers = cluster.spec.autoLockManagers
        self.init(
            id: cluster.id, version: UInt64(stored.version), createdAt: Date(milliseconds: cluster.createdAtMs),
            updatedAt: Date(milliseconds: cluster.updatedAtMs), spec: spec,
            joinTokens: SwarmJoinTokens(worker: cluster.workerJoinToken, manager: cluster.managerJoinToken),
            rootCACertificate: cluster.rootCaPem, dataPathPort: cluster.dataPathPort,
            defaultAddressPools: cluster.defaultAddressPools, subnetSize: cluster.subnetSize)
        rotationRootCACertificate = cluster.rotationRootPem
        rotationCrossSignedCertificate = cluster.rotationCrossSignedPem
        lastForcedRotation = cluster.lastForcedRotation
    }

    var stored: Shoal_Cluster_V1_Cluster {
        var cluster = Shoal_Cluster_V1_Cluster()
        cluster.id = id
        cluster.spec.name = spec.name
        cluster.spec.labels = spec.labels
        cluster.spec.heartbeatPeriodMs = Int64((spec.heartbeatPeriod * 1000).rounded())
        cluster.spec.nodeCertExpiryS = Int64(spec.nodeCertExpiry.rounded())
        cluster.spec.taskHistoryRetentionLimit = Int64(spec.taskHistoryRetentionLimit)
        spec.storeCAAndRaft(in: &cluster.spec)
        cluster.rotationRootPem = rotationRootCACertificate
        cluster.rotationCrossSignedPem = rotationCrossSignedCertificate
        cluster.lastForcedRotation = lastForcedRotation
        cluster.spec.autoLockManagers = spec.autoLockManagers
        cluster.workerJoinToken = joinTokens.worker
        cluster.managerJoinToken = joinTokens.manager
        cluster.rootCaPem = rootCACertificate
        cluster.dataPathPort = dataPathPort
        cluster.defaultAddressPools = defaultAddressPools
        cluster.subnetSize = subnetSize
        cluster.createdAtMs = createdAt.milliseconds
        cluster.updatedAtMs = updatedAt.milliseconds
        return cluster
    }
}

extension Date {
    init(milliseconds: Int64) { self.init(timeIntervalSince1970: Double(milliseconds) / 1000) }
    var milliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
}
