import Foundation

/// A network as the engine keeps it: what was asked at `docker network create` plus what was resolved (the
/// subnet IPAM chose, the bridge's name). Addresses in use are not stored here: they are the endpoints of the
/// containers attached to it, so the two can never disagree.
public struct NetworkRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// `bridge`, `host` or `null` (the driver of `none`).
    public var driver: String
    public var created: Date
    public var isInternal: Bool
    public var attachable: Bool
    public var labels: [String: String]
    /// Driver options (`-o`), as given.
    public var options: [String: String]
    /// IPAM pools: one per subnet. Filled in by the engine when the user gave none.
    public var ipam: [IPAMPool]
    public var ipamOptions: [String: String]
    /// `bridge`, `host`, `none`: made by the daemon, never removed.
    public var isPredefined: Bool
    /// The Linux bridge of a bridge network.
    public var bridgeName: String?
    public var mtu: Int?
    /// The swarm's routing-mesh network (`ingress`); optional so records stored before it decode.
    public var ingress: Bool?
    /// `--ipv6`: containers get an address of the network's IPv6 pool too (optional: older records decode).
    public var enableIPv6: Bool?
    /// `--scope` as given (Docker shows it in place of the driver's own scope).
    public var requestedScope: String?
    /// The IPv4 subnet was picked from the pools, not given: `--ip` is refused there, as in Docker.
    public var autoIPv4Pool: Bool?

    public init(id: String, name: String, driver: String, created: Date, isInternal: Bool = false,
                attachable: Bool = false, labels: [String: String] = [:], options: [String: String] = [:],
                ipam: [IPAMPool] = [], ipamOptions: [String: String] = [:], isPredefined: Bool = false,
                bridgeName: String? = nil, mtu: Int? = nil) {
        self.id = id
        self.name = name
        self.driver = driver
        self.created = created
        self.isInternal = isInternal
        self.attachable = attachable
        self.labels = labels
        self.options = options
        self.ipam = ipam
        self.ipamOptions = ipamOptions
        self.isPredefined = isPredefined
        self.bridgeName = bridgeName
        self.mtu = mtu
    }

    public var shortID: String { String(id.prefix(12)) }
    public var isIngress: Bool { ingress == true }
    /// The default bridge: containers on it do not resolve each other by name (as in Docker).
    public var isDefaultBridge: Bool { isPredefined && name == "bridge" }
    /// Containers on these networks get a network interface (none and host do not).
    public var hasEndpoints: Bool { driver == "bridge" || driver == "overlay" }
    /// Overlays live in the cluster store and span the swarm's hosts ("swarm"); everything else is this host's.
    public var isSwarmScoped: Bool { driver == "overlay" }
    public var scope: String { requestedScope ?? (isSwarmScoped ? "swarm" : "local") }
    public var ipv6Enabled: Bool { enableIPv6 == true }
    /// The network's IPv4 pool (bridge networks have one).
    public var ipv4Pool: IPAMPool? { ipam.first { !$0.isIPv6 } }
    /// The network's IPv6 pool; containers draw from it only when `ipv6Enabled` (as in Docker, a pool given
    /// without `--ipv6` is kept and shown, and nothing more).
    public var ipv6Pool: IPAMPool? { ipam.first(where: \.isIPv6) }
}

/// One IPAM pool of a network (Docker's `IPAM.Config[]`).
public struct IPAMPool: Codable, Sendable, Equatable {
    public var subnet: String
    public var gateway: String?
    public var ipRange: String?
    public var auxAddresses: [String: String]

    public init(subnet: String, gateway: String? = nil, ipRange: String? = nil, auxAddresses: [String: String] = [:]) {
        self.subnet = subnet
        self.gateway = gateway
        self.ipRange = ipRange
        self.auxAddresses = auxAddresses
    }

    public var isIPv6: Bool { subnet.contains(":") }
}

/// `docker network create`, after the API decoded it.
public struct NetworkCreateRequest: Sendable, Equatable {
    public var name: String
    public var driver: String
    public var isInternal: Bool
    public var attachable: Bool
    public var enableIPv6: Bool
    public var labels: [String: String]
    public var options: [String: String]
    public var ipam: [IPAMPool]
    public var ipamDriver: String
    public var ipamOptions: [String: String]
    /// `--ingress` and `--scope`.
    public var ingress: Bool
    public var scope: String

    public init(name: String, driver: String = "bridge", isInternal: Bool = false, attachable: Bool = false,
                enableIPv6: Bool = false, labels: [String: String] = [:], options: [String: String] = [:],
                ipam: [IPAMPool] = [], ipamDriver: String = "default", ipamOptions: [String: String] = [:],
                ingress: Bool = false, scope: String = "") {
        self.ingress = ingress
        self.scope = scope
        self.name = name
        self.driver = driver
        self.isInternal = isInternal
        self.attachable = attachable
        self.enableIPv6 = enableIPv6
        self.labels = labels
        self.options = options
        self.ipam = ipam
        self.ipamDriver = ipamDriver
        self.ipamOptions = ipamOptions
    }
}

/// What a container asks of one network (`--network-alias`, `--ip`; Docker's EndpointSettings on create and
/// `network connect`).
public struct EndpointRequest: Codable, Sendable, Equatable {
    public var aliases: [String]
    public var ipv4Address: String?
    /// `--ip6`, `--link-local-ip` (optional: older records decode).
    public var ipv6Address: String?
    public var linkLocalIPs: [String]?
    /// `--link NAME:ALIAS` on a user network: ALIAS resolves to NAME for this endpoint only (nil: none).
    public var links: [ContainerLink]? = nil

    public init(aliases: [String] = [], ipv4Address: String? = nil, ipv6Address: String? = nil,
                linkLocalIPs: [String]? = nil, links: [ContainerLink]? = nil) {
        self.aliases = aliases
        self.ipv4Address = ipv4Address
        self.ipv6Address = ipv6Address
        self.linkLocalIPs = linkLocalIPs
        self.links = links
    }
}

/// A container's live attachment to one network: its interface, address and the names it answers to in DNS.
public struct EndpointState: Codable, Sendable, Equatable {
    public var networkID: String
    public var networkName: String
    public var endpointID: String
    /// Interface names: the veth end on the host and the one in the container (`eth0`, `eth1` …).
    public var hostInterface: String
    public var containerInterface: String
    public var ipv4Address: String
    public var prefixLength: Int
    public var gateway: String
    public var macAddress: String
    /// The aliases the user gave for this network.
    public var aliases: [String]
    /// Every name that resolves to this endpoint on its network (name, aliases, short ID, hostname).
    public var dnsNames: [String]
    /// The endpoint's links (`--link NAME:ALIAS` on a user network): names only this container resolves.
    public var links: [ContainerLink]? = nil
    /// On an IPv6 network: the address, its prefix length and the gateway (optional: older records decode).
    public var ipv6Address: String?
    public var ipv6PrefixLength: Int?
    public var ipv6Gateway: String?
    /// `--link-local-ip` addresses on the interface.
    public var linkLocalIPs: [String]?

    /// `fd00::2/64`, or "" without IPv6.
    public var ipv6CIDR: String { ipv6Address.map { "\($0)/\(ipv6PrefixLength ?? 64)" } ?? "" }

    public init(networkID: String, networkName: String, endpointID: String, hostInterface: String,
                containerInterface: String, ipv4Address: String, prefixLength: Int, gateway: String,
                macAddress: String, aliases: [String], dnsNames: [String]) {
        self.networkID = networkID
        self.networkName = networkName
        self.endpointID = endpointID
        self.hostInterface = hostInterface
        self.containerInterface = containerInterface
        self.ipv4Address = ipv4Address
        self.prefixLength = prefixLength
        self.gateway = gateway
        self.macAddress = macAddress
        self.aliases = aliases
        self.dnsNames = dnsNames
    }
}

/// A port published on the host while the container runs (Docker's `NetworkSettings.Ports` entries).
public struct PublishedPort: Codable, Sendable, Equatable, Hashable {
    /// `80/tcp`.
    public var containerPort: String
    /// `0.0.0.0` for every address, else the address given.
    public var hostIP: String
    public var hostPort: UInt16

    public init(containerPort: String, hostIP: String, hostPort: UInt16) {
        self.containerPort = containerPort
        self.hostIP = hostIP
        self.hostPort = hostPort
    }
}

/// A container's network state while it runs; empty when it is stopped (as Docker shows it).
public struct ContainerNetworkState: Codable, Sendable, Equatable {
    /// The network namespace file, Docker's `SandboxKey`.
    public var sandboxKey: String
    public var endpoints: [EndpointState]
    public var ports: [PublishedPort]
    /// The docker_gwbridge endpoint of a container on overlays only (its way out; not one of its networks).
    public var gatewayEndpoint: EndpointState?

    public init(sandboxKey: String = "", endpoints: [EndpointState] = [], ports: [PublishedPort] = [],
                gatewayEndpoint: EndpointState? = nil) {
        self.sandboxKey = sandboxKey
        self.endpoints = endpoints
        self.ports = ports
        self.gatewayEndpoint = gatewayEndpoint
    }
}

/// A network with the containers attached to it now (`docker network inspect`).
public struct NetworkView: Sendable, Equatable {
    public var record: NetworkRecord
    public var containers: [NetworkContainerView]
    /// The hosts that have a swarm-scoped network now (Docker's `Peers`: node host name and address).
    public var peers: [NetworkPeer]

    public init(record: NetworkRecord, containers: [NetworkContainerView], peers: [NetworkPeer] = []) {
        self.record = record
        self.containers = containers
        self.peers = peers
    }
}

public struct NetworkPeer: Sendable, Equatable, Hashable {
    public var name: String
    public var ip: String

    public init(name: String, ip: String) {
        self.name = name
        self.ip = ip
    }
}

public struct NetworkContainerView: Sendable, Equatable {
    public var containerID: String
    public var name: String
    public var endpointID: String
    public var macAddress: String
    /// `172.18.0.2/16`.
    public var ipv4Address: String
    /// `fd00::2/64`, or "".
    public var ipv6Address = ""

    public init(containerID: String, name: String, endpointID: String, macAddress: String, ipv4Address: String,
                ipv6Address: String = "") {
        self.ipv6Address = ipv6Address
        self.containerID = containerID
        self.name = name
        self.endpointID = endpointID
        self.macAddress = macAddress
        self.ipv4Address = ipv4Address
    }
}
