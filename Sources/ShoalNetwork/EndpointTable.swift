import Logging
import ShoalNFTables
import ShoalDNS
import ShoalIPAM
import ShoalModel

/// A port the routing mesh publishes on every node for a service (carried by the service's VIP on the ingress
/// network).
public struct MeshPort: Sendable, Hashable {
    public var proto: PortPublication.Proto
    public var publishedPort: UInt16
    public var targetPort: UInt16
    /// Which of this host's addresses answer on it (nil: a choice this host does not know, so none).
    public var publishOn: MeshPublishing?

    public init(proto: PortPublication.Proto, publishedPort: UInt16, targetPort: UInt16,
                publishOn: MeshPublishing? = .everywhere) {
        self.proto = proto
        self.publishedPort = publishedPort
        self.targetPort = targetPort
        self.publishOn = publishOn
    }
}

/// One port of the routing mesh on this host: how the ingress sandbox spreads it, and where the host publishes it.
public struct MeshRule: Sendable, Equatable {
    public var rule: IngressRule
    public var publishOn: MeshPublishing?
}

/// One container's endpoint on a network, on this host or another.
public struct NetworkEndpoint: Sendable, Hashable {
    /// The endpoint's ID (for an endpoint on another host, its attachment's ID).
    public var id: String
    public var networkID: String
    public var address: IPv4Address
    /// On an IPv6 network, its IPv6 address too (DNS answers AAAA with it).
    public var ipv6: IPv6Address? = nil
    public var mac: MACAddress
    /// Every name that resolves to it on its network (name, aliases, short ID, host name).
    public var dnsNames: [String]
    /// nil for an endpoint on this host; else the underlay address of the host it is on.
    public var remoteHost: IPv4Address?
    /// Streamed by the leader (an endpoint on another host, or a service's virtual IP, which has no host), so
    /// the leader's next full set replaces it.
    public var fromLeader: Bool
    /// A service's VIP on the ingress network: the ports the routing mesh publishes for the service.
    public var meshPorts: [MeshPort]

    public init(id: String, networkID: String, address: IPv4Address, mac: MACAddress, dnsNames: [String],
                remoteHost: IPv4Address? = nil, fromLeader: Bool? = nil, meshPorts: [MeshPort] = []) {
        self.fromLeader = fromLeader ?? (remoteHost != nil)
        self.meshPorts = meshPorts
        self.id = id
        self.networkID = networkID
        self.address = address
        self.mac = mac
        self.dnsNames = dnsNames
        self.remoteHost = remoteHost
    }

    var peer: OverlayPeer? { remoteHost.map { OverlayPeer(address: address, mac: mac, host: $0) } }

    /// A service's virtual IP: streamed by the leader, on no host.
    public var isVirtualIP: Bool { fromLeader && remoteHost == nil }
}

/// Every endpoint this host knows by name: its own containers' and, on swarm-scoped networks, those on other
/// hosts (from the leader, through the node's session). One change reaches both of its consumers in the same
/// step — the DNS records every sandbox's server answers from, and the peer entries of the overlay's VXLAN
/// device when the overlay exists on this host — so a name never resolves to a container the data path cannot
/// reach, nor lingers after it is gone.
public struct EndpointTable: Sendable {
    public let dns: DNSRecordTable
    private let dataplane: BridgeDataplane
    private let logger: Logger
    private var endpoints: [String: NetworkEndpoint] = [:]
    /// The overlays that have a data path on this host now, by network ID.
    private var overlays: [String: OverlaySettings] = [:]

    public init(dns: DNSRecordTable, dataplane: BridgeDataplane, logger: Logger) {
        self.dns = dns
        self.dataplane = dataplane
        self.logger = logger
    }

    public var remoteEndpoints: [NetworkEndpoint] { endpoints.values.filter(\.fromLeader) }

    /// The services' VIPs on `networks` and, for each, its tasks' addresses there: the endpoints that answer to
    /// `tasks.NAME` for the VIP's first name (the service's). What a sandbox on those networks must balance.
    public func balancedServices(on networks: Set<String>) -> [BalancedService] {
        let virtual = endpoints.values.filter { $0.isVirtualIP && networks.contains($0.networkID) }
        return virtual.sorted { $0.id < $1.id }.compactMap { vip in
            guard !vip.dnsNames.isEmpty else { return nil }
            return BalancedService(vip: vip.address.description, backends: backends(of: vip))
        }
    }

    /// The routing mesh as this host must serve it: the ingress network and, for each port a service publishes
    /// there, the addresses of its tasks on it (those answering to `tasks.NAME` for the VIP's first name, so a
    /// task being stopped has left already). Nil when no service publishes on the mesh.
    public func mesh() -> (networkID: String, rules: [MeshRule])? {
        let vips = endpoints.values.filter { $0.isVirtualIP && !$0.meshPorts.isEmpty }.sorted { $0.id < $1.id }
        guard let networkID = vips.first?.networkID else { return nil }
        let rules = vips.filter { $0.networkID == networkID }.flatMap { vip -> [MeshRule] in
            let backends = backends(of: vip)
            return vip.meshPorts.map {
                MeshRule(rule: IngressRule(proto: $0.proto, publishedPort: $0.publishedPort,
                                           targetPort: $0.targetPort, backends: backends),
                         publishOn: $0.publishOn)
            }
        }
        return (networkID, rules)
    }

    /// The addresses of the running tasks behind a service's VIP, on the VIP's network.
    private func backends(of vip: NetworkEndpoint) -> [String] {
        guard let name = vip.dnsNames.first else { return [] }
        return endpoints.values.filter {
            $0.networkID == vip.networkID && !$0.isVirtualIP && $0.dnsNames.contains(ServiceDNSNames.tasks(of: name))
        }.map(\.address.description).sorted()
    }

    /// Adds or replaces an endpoint (a replaced remote one's old peer entry goes first).
    public mutating func upsert(_ endpoint: NetworkEndpoint) {
        // A change of names only (a renamed container) keeps the data path as it is.
        if let old = endpoints[endpoint.id],
           old.address != endpoint.address || old.mac != endpoint.mac || old.remoteHost != endpoint.remoteHost
            || old.networkID != endpoint.networkID {
            withdrawPeer(old)
        }
        endpoints[endpoint.id] = endpoint
        if !endpoint.dnsNames.isEmpty {
            dns.upsert(endpointID: endpoint.id, DNSEndpointRecord(
                network: endpoint.networkID, names: endpoint.dnsNames,
                ipv4: [DNSIPv4Address(value: endpoint.address.value)],
                ipv6: endpoint.ipv6.flatMap { DNSIPv6Address(octets: $0.octets) }.map { [$0] } ?? []))
        }
        programPeer(endpoint)
    }

    /// Its name stops resolving first, then its peer entry goes. Quiet for an unknown ID.
    public mutating func remove(id: String) {
        dns.remove(endpointID: id)
        guard let old = endpoints.removeValue(forKey: id) else { return }
        withdrawPeer(old)
    }

    /// The leader's full set of endpoints on other hosts (after a session starts): whatever is not in it goes,
    /// so nothing stale from while this host was away survives.
    public mutating func replaceRemote(_ remote: [NetworkEndpoint]) {
        let keep = Set(remote.map(\.id))
        for endpoint in remoteEndpoints where !keep.contains(endpoint.id) { remove(id: endpoint.id) }
        for endpoint in remote { upsert(endpoint) }
    }

    /// An overlay's data path now exists here: every known peer on it is programmed.
    public mutating func overlayReady(_ networkID: String, _ overlay: OverlaySettings) {
        overlays[networkID] = overlay
        for endpoint in endpoints.values where endpoint.networkID == networkID { programPeer(endpoint) }
    }

    /// The overlay's devices are gone (its peer entries went with them); its endpoints stay known for DNS.
    public mutating func overlayRemoved(_ networkID: String) {
        overlays[networkID] = nil
    }

    public func overlay(_ networkID: String) -> OverlaySettings? { overlays[networkID] }

    private func programPeer(_ endpoint: NetworkEndpoint) {
        guard let peer = endpoint.peer, let overlay = overlays[endpoint.networkID] else { return }
        do {
            try dataplane.addOverlayPeer(peer, on: overlay)
        } catch {
            logger.error("overlay \(overlay.vxlan): cannot add peer \(peer.address) at \(peer.host): \(error)")
        }
    }

    private func withdrawPeer(_ endpoint: NetworkEndpoint) {
        guard let peer = endpoint.peer, let overlay = overlays[endpoint.networkID] else { return }
        dataplane.removeOverlayPeer(peer, on: overlay)
    }
}
