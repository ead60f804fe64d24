import ShoalCA
import ShoalModel

/// A node asking a manager for its certificate (NodeCA.IssueNodeCertificate, decoded).
public struct JoiningNode: Sendable {
    public var token: String
    public var csrPEM: String
    public var description: NodeDescription
    /// `ip[:port]` the node advertises; empty: `observedHost`, the address its connection came from.
    public var advertiseAddress: String
    public var observedHost: String
    public var availability: NodeAvailability
}

/// What the manager hands back to a joining node.
public struct IssuedNodeCertificate: Sendable {
    public var nodeID: String
    public var certificatePEM: String
    public var rootCAPEM: String
    public var role: NodeRole
    public var clusterID: String
}

/// What a node's session is told at every heartbeat.
public struct SessionParameters: Sendable {
    public var heartbeatPeriod: Duration
    public var managers: [(nodeID: String, address: String)]
    /// The role the managers want for the node (nil when a follower answers).
    public var role: NodeRole?
    /// SHA-256 of the trust roots the node must hold (empty when a follower answers).
    public var trustRootsDigest = ""
    /// How long the node gathers its tasks' states before it reports them (the leader's `SessionBatching`).
    public var reportGather: Duration = .zero
}
