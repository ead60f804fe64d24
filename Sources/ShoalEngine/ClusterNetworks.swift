import ShoalCore
import ShoalIPAM
import ShoalModel
import ShoalNetwork

/// The swarm as this host's networks see it. Swarm-scoped networks (overlays) live in the cluster store, which a
/// worker never reads: it learns of them, gets its endpoints' addresses and hears of the endpoints on other hosts
/// through its session with the leader. The daemon implements this over the node's control-API client; outside
/// a swarm there is none, and overlays are refused as Docker refuses them.
public protocol ClusterNetworks: Sendable {
    /// The swarm-scoped network `reference` names (name, ID or unique ID prefix); nil when there is none.
    func network(_ reference: String) async throws -> NetworkRecord?
    /// Asks the leader for an endpoint of a local container on a swarm-scoped network: its address (`--ip` when
    /// given) and the names it answers to. Refused for a network that is not attachable.
    func attach(_ request: ClusterAttachRequest) async throws -> ClusterAttachment
    /// Gives the endpoint back (quiet when it is already gone; the leader also drops what a node no longer
    /// reports).
    func detach(attachmentID: String) async
    /// The endpoint's container was renamed: the other hosts resolve it by `dnsNames` from now on (best effort).
    func rename(attachmentID: String, containerName: String, dnsNames: [String]) async
    /// This host's underlay address: the source of its VXLAN traffic, where the other hosts send theirs.
    func underlayAddress() async -> IPv4Address?
}

public struct ClusterAttachRequest: Sendable, Equatable {
    public var networkID: String
    public var containerID: String
    public var containerName: String
    public var aliases: [String]
    public var dnsNames: [String]
    public var requestedAddress: String?
    /// The service task the container runs, when it is one's: it takes the address the task holds.
    public var taskID: String?

    public init(networkID: String, containerID: String, containerName: String, aliases: [String],
                dnsNames: [String], requestedAddress: String?) {
        self.networkID = networkID
        self.containerID = containerID
        self.containerName = containerName
        self.aliases = aliases
        self.dnsNames = dnsNames
        self.requestedAddress = requestedAddress
    }
}

/// What the leader gave a local container on a swarm-scoped network.
public struct ClusterAttachment: Sendable, Equatable {
    public var id: String
    public var address: IPv4Address
    public var prefixLength: Int
    public var gateway: IPv4Address?
    /// The names the endpoint answers to, as the leader stored them (nil: those asked for).
    public var dnsNames: [String]?

    public init(id: String, address: IPv4Address, prefixLength: Int, gateway: IPv4Address?,
                dnsNames: [String]? = nil) {
        self.id = id
        self.address = address
        self.prefixLength = prefixLength
        self.gateway = gateway
        self.dnsNames = dnsNames
    }
}

/// A container's endpoint on another host, as the leader streams it to every node.
public struct RemoteEndpoint: Sendable, Hashable {
    /// The attachment's ID.
    public var id: String
    public var networkID: String
    public var nodeID: String
    /// The underlay address of the host it runs on; nil for a service's virtual IP, which is a name and an
    /// address but no host (the balancer in each sandbox carries its traffic).
    public var host: IPv4Address?
    public var address: IPv4Address
    public var mac: MACAddress
    public var dnsNames: [String]
    /// A service's VIP on the ingress network: the ports the routing mesh publishes for it.
    public var meshPorts: [MeshPort]

    public init(id: String, networkID: String, nodeID: String, host: IPv4Address?, address: IPv4Address,
                mac: MACAddress, dnsNames: [String], meshPorts: [MeshPort] = []) {
        self.meshPorts = meshPorts
        self.id = id
        self.networkID = networkID
        self.nodeID = nodeID
        self.host = host
        self.address = address
        self.mac = mac
        self.dnsNames = dnsNames
    }
}
