import Glibc
import ShoalCore
import ShoalIPAM
import ShoalNetlink

/// One overlay network's switch on this host: a VXLAN device with learning off and ARP answered from its own
/// neighbour table, and each local container's interface a macvlan (bridge mode) on it. The host takes no part in
/// the overlay's layer 3 (the VXLAN device has no address), so two overlays on one host are never routed to each
/// other. Peers on other hosts are static entries: an FDB entry (their MAC lives behind that host's underlay
/// address) and a neighbour entry (their address has that MAC).
///
/// Why macvlans and not a bridge with veth pairs: a veth hop and a bridge on each side cost a frame two more
/// passes through the receive path, and with br_netfilter (`bridge-nf-call-iptables=1`, which docker_gwbridge's
/// icc=false needs) every bridged frame also goes through the host's IPv4 hooks and conntrack. Measured with
/// `scripts/bench.sh --only overlay-throughput` (3-host local cluster, 2-core VM): TCP between containers on two
/// hosts ran at 0.84x of the hosts' own underlay with the bridge, at 0.96-0.98x with macvlans; the CPU it takes
/// per GB went from 1.21x to 1.08x of the underlay's (what is left: VXLAN's encapsulation and its GRO cells).
public struct OverlaySettings: Sendable, Equatable {
    /// The VXLAN device's name (15 characters at most).
    public var vxlan: String
    public var vni: UInt32
    /// This host's underlay address: the VXLAN device's source.
    public var local: IPv4Address
    public var mtu: Int

    public init(vxlan: String, vni: UInt32, local: IPv4Address, mtu: Int) {
        self.vxlan = vxlan
        self.vni = vni
        self.local = local
        self.mtu = mtu
    }

    /// The name Shoal gives an overlay's device: `vx-` and the first 12 characters of the network ID.
    public init(networkID: String, vni: UInt32, local: IPv4Address, mtu: Int) {
        self.init(vxlan: "vx-" + String(networkID.prefix(12)), vni: vni, local: local, mtu: mtu)
    }
}

/// A container on another host, as the overlay's data path needs it.
public struct OverlayPeer: Sendable, Hashable {
    public var address: IPv4Address
    public var mac: MACAddress
    /// The underlay address of the host the container runs on.
    public var host: IPv4Address

    public init(address: IPv4Address, mac: MACAddress, host: IPv4Address) {
        self.address = address
        self.mac = mac
        self.host = host
    }
}

extension BridgeDataplane {
    /// VXLAN's own header costs: outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14).
    public static let vxlanOverhead = 50

    /// `ip link add vx-X mtu M type vxlan id VNI local IP dstport 4789 nolearning proxy; ip link set vx-X up`.
    /// Converges.
    public func ensureOverlay(_ overlay: OverlaySettings) throws {
        try netlink("create overlay \(overlay.vxlan)") {
            if try host.linkIndex(name: overlay.vxlan) == nil {
                try host.linkAddVXLAN(name: overlay.vxlan, vni: overlay.vni, local: overlay.local.octets,
                                      port: 4789, learning: false, proxy: true, mtu: UInt32(overlay.mtu))
            }
            guard let vxlan = try host.linkIndex(name: overlay.vxlan) else {
                throw ShoalError.internalError("overlay device \(overlay.vxlan) vanished after creation")
            }
            try host.linkSetUp(index: vxlan)
        }
    }

    /// `ip link del vx-X` (quiet when gone): the peers' entries and the containers' macvlans go with it.
    public func removeOverlay(_ overlay: OverlaySettings) {
        _ = try? host.linkDelete(name: overlay.vxlan)
    }

    /// `ip link add link vx-X name C mtu M netns S type macvlan mode bridge`, then inside the sandbox
    /// `ip link set C address MAC up; ip addr add A/LEN dev C`: the container's interface on the overlay
    /// (`settings.bridge` names the VXLAN device; there is no host end, so `settings.hostName` is unused).
    public func addOverlayInterface(_ settings: InterfaceSettings, sandbox: String) throws {
        let namespace = open(sandbox, O_RDONLY | O_CLOEXEC)
        guard namespace >= 0 else { throw ShoalError.notFound("sandbox \(sandbox) is gone") }
        defer { close(namespace) }
        try netlink("create macvlan \(settings.containerName) on \(settings.bridge)") {
            guard let parent = try host.linkIndex(name: settings.bridge) else {
                throw ShoalError.notFound("overlay device \(settings.bridge) is gone")
            }
            try host.linkAddMacvlan(name: settings.containerName, parentIndex: parent, namespaceFD: namespace,
                                    mtu: settings.mtu.map { UInt32($0) })
        }
        do {
            try configureInside(settings, sandbox: sandbox)
        } catch {
            removeOverlayInterface(containerName: settings.containerName, sandbox: sandbox)
            throw error
        }
    }

    /// `ip -n S link del C` (quiet when the sandbox or the interface is gone).
    public func removeOverlayInterface(containerName: String, sandbox: String) {
        guard !sandbox.isEmpty, let inside = try? NetlinkSession(namespacePath: sandbox) else { return }
        defer { inside.close() }
        _ = try? inside.linkDelete(name: containerName)
    }

    /// `bridge fdb append MAC dev vx-X dst HOST self permanent; ip neigh replace IP lladdr MAC dev vx-X nud
    /// permanent`. Converges (an entry already there is kept).
    public func addOverlayPeer(_ peer: OverlayPeer, on overlay: OverlaySettings) throws {
        try netlink("add peer \(peer.address) on \(overlay.vxlan)") {
            guard let vxlan = try host.linkIndex(name: overlay.vxlan) else {
                throw ShoalError.notFound("overlay device \(overlay.vxlan) is gone")
            }
            do {
                try host.fdbAppend(index: vxlan, mac: peer.mac.bytes, destination: peer.host.octets)
            } catch let error as NetlinkError where error.errno == EEXIST {}
            try host.neighbourAdd(index: vxlan, address: peer.address.octets, mac: peer.mac.bytes)
        }
    }

    /// Undoes `addOverlayPeer` (quiet for entries already gone, and for a device already gone).
    public func removeOverlayPeer(_ peer: OverlayPeer, on overlay: OverlaySettings) {
        guard let vxlan = try? host.linkIndex(name: overlay.vxlan) else { return }
        try? host.neighbourDelete(index: vxlan, address: peer.address.octets)
        try? host.fdbDelete(index: vxlan, mac: peer.mac.bytes, destination: peer.host.octets)
    }

    /// The IPv4 addresses of the host's interface `name` (`ip -4 addr show dev NAME`); none when it has none or
    /// does not exist.
    public func ipv4Addresses(ofInterface name: String) -> [IPv4Address] {
        guard let index = try? host.linkIndex(name: name), let addresses = try? host.addresses(index: index) else {
            return []
        }
        return addresses.filter { $0.address.count == 4 }.map { IPv4Address($0.address[0], $0.address[1],
                                                                            $0.address[2], $0.address[3]) }
    }

    /// The MTU of the link that carries `address` on this host, less VXLAN's overhead: an overlay's default MTU,
    /// so a full-sized inner frame still fits the underlay. 1450 when no link carries it.
    public func overlayMTU(underlay address: IPv4Address) -> Int {
        guard let owner = (try? host.addresses())?.first(where: { $0.address == address.octets }),
              let link = (try? host.links())?.first(where: { $0.index == owner.index }) else {
            return 1500 - Self.vxlanOverhead
        }
        return Int(link.mtu) - Self.vxlanOverhead
    }
}
