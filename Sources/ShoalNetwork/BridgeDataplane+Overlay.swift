import Glibc
import ShoalCore
import ShoalIPAM
import ShoalNetlink

/// One overlay network's switch on this host: a bridge that carries no address (the host takes no part in the
/// overlay's layer 3, so two overlays on one host are never routed to each other) and a VXLAN device on it, with
/// learning off and ARP answered from its own neighbour table. Peers on other hosts are static entries: an FDB
/// entry (their MAC lives behind that host's underlay address) and a neighbour entry (their address has that MAC).
public struct OverlaySettings: Sendable, Equatable {
    /// The bridge's and the VXLAN device's names (15 characters at most).
    public var bridge: String
    public var vxlan: String
    public var vni: UInt32
    /// This host's underlay address: the VXLAN device's source.
    public var local: IPv4Address
    public var mtu: Int

    public init(bridge: String, vxlan: String, vni: UInt32, local: IPv4Address, mtu: Int) {
        self.bridge = bridge
        self.vxlan = vxlan
        self.vni = vni
        self.local = local
        self.mtu = mtu
    }

    /// The names Shoal gives an overlay's devices: `ov-` and `vx-` with the first 12 characters of the network ID.
    public init(networkID: String, vni: UInt32, local: IPv4Address, mtu: Int) {
        let suffix = String(networkID.prefix(12))
        self.init(bridge: "ov-" + suffix, vxlan: "vx-" + suffix, vni: vni, local: local, mtu: mtu)
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

    /// `ip link add ov-X mtu M type bridge; ip link add vx-X mtu M type vxlan id VNI local IP dstport 4789
    /// nolearning proxy; ip link set vx-X master ov-X up; ip link set ov-X up`. Converges.
    public func ensureOverlay(_ overlay: OverlaySettings) throws {
        let mtu = UInt32(overlay.mtu)
        try netlink("create overlay \(overlay.bridge)") {
            if try host.linkIndex(name: overlay.bridge) == nil {
                try host.linkAddBridge(name: overlay.bridge, mtu: mtu)
            }
            if try host.linkIndex(name: overlay.vxlan) == nil {
                try host.linkAddVXLAN(name: overlay.vxlan, vni: overlay.vni, local: overlay.local.octets,
                                      port: 4789, learning: false, proxy: true, mtu: mtu)
            }
            guard let bridge = try host.linkIndex(name: overlay.bridge),
                  let vxlan = try host.linkIndex(name: overlay.vxlan) else {
                throw ShoalError.internalError("overlay devices of \(overlay.bridge) vanished after creation")
            }
            try host.linkSetMaster(index: vxlan, masterIndex: bridge)
            try host.linkSetUp(index: vxlan)
            try host.linkSetUp(index: bridge)
        }
    }

    /// `ip link del vx-X; ip link del ov-X` (quiet when gone): the peers' entries go with the VXLAN device.
    public func removeOverlay(_ overlay: OverlaySettings) {
        _ = try? host.linkDelete(name: overlay.vxlan)
        _ = try? host.linkDelete(name: overlay.bridge)
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
