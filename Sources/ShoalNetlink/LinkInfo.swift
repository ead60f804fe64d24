/// One network interface as an RTM_NEWLINK reply describes it (`ip link show`).
public struct LinkInfo: Sendable, Hashable {
    public var index: Int32
    public var name: String
    /// IFLA_INFO_KIND ("bridge", "veth", "vxlan" …); nil for devices without one (lo, physical NICs).
    public var kind: String?
    public var mtu: UInt32
    /// IFF_UP: administratively up (not whether the carrier is there).
    public var isUp: Bool
    /// The bridge (or other master) this link is enslaved to.
    public var masterIndex: Int32?
    /// Hardware address (6 bytes for Ethernet-like links; empty when the link has none).
    public var mac: [UInt8]

    public init(index: Int32, name: String, kind: String?, mtu: UInt32, isUp: Bool, masterIndex: Int32?, mac: [UInt8]) {
        self.index = index
        self.name = name
        self.kind = kind
        self.mtu = mtu
        self.isUp = isUp
        self.masterIndex = masterIndex
        self.mac = mac
    }

    /// Decodes ifinfomsg + IFLA_* attributes; nil when the payload is not a link.
    init?(_ reply: NetlinkReply) {
        guard reply.type == NL.newLink, let index = reply.payload.i32(at: 4), let flags = reply.payload.u32(at: 8)
        else { return nil }
        let attributes = NetlinkAttributes(reply.payload.dropFirst(IFLA.ifinfomsgLength))
        let info = attributes[IFLA.linkinfo].map(NetlinkAttributes.init)
        self.init(index: index,
                  name: attributes[IFLA.ifname]?.cString ?? "",
                  kind: info?[IFLA.infoKind]?.cString,
                  mtu: attributes[IFLA.mtu]?.u32(at: 0) ?? 0,
                  isUp: flags & IFLA.iffUp != 0,
                  masterIndex: attributes[IFLA.master]?.i32(at: 0).flatMap { $0 == 0 ? nil : $0 },
                  mac: attributes[IFLA.address].map(Array.init) ?? [])
    }
}
