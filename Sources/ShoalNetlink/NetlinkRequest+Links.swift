/// Pure builders for every request the session sends; each names the iproute2 command whose bytes it reproduces
/// (see the golden tests for the captured originals and the documented differences).
enum NetlinkRequest {}

extension NetlinkRequest {
    static let createFlags = NL.request | NL.ack | NL.excl | NL.create
    static let changeFlags = NL.request | NL.ack

    /// `ip link add NAME [mtu MTU] [address MAC] type bridge`
    static func linkAddBridge(name: String, mtu: UInt32?, address: [UInt8]? = nil) -> NetlinkMessage {
        newLink(name: name, mtu: mtu, address: address, kind: "bridge", data: nil)
    }

    /// `ip link add NAME [mtu MTU] type veth peer name PEER [mtu MTU] [netns FD]`
    /// The MTU goes to both ends (plain `ip … mtu M type veth` sets it on the first end only).
    static func linkAddVeth(name: String, peerName: String, peerNamespaceFD: Int32?, mtu: UInt32?) -> NetlinkMessage {
        var peer: [NetlinkAttribute] = []
        if let mtu { peer.append(.u32(IFLA.mtu, mtu)) }
        if let peerNamespaceFD { peer.append(.i32(IFLA.netNsFD, peerNamespaceFD)) }
        peer.append(.string(IFLA.ifname, peerName))
        let data = NetlinkAttribute(IFLA.infoData, nested: [
            NetlinkAttribute(IFLA.vethPeer, nested: peer, header: FamilyHeader.ifinfomsg()),
        ])
        return newLink(name: name, mtu: mtu, kind: "veth", data: data)
    }

    /// `ip link add NAME [mtu MTU] type vxlan id VNI [local IP] dstport PORT [dev UNDERLAY] [no]learning [proxy]`
    static func linkAddVXLAN(name: String, vni: UInt32, local: [UInt8]?, port: UInt16, underlayIndex: Int32?,
                             learning: Bool, proxy: Bool = false, mtu: UInt32?) -> NetlinkMessage {
        var data: [NetlinkAttribute] = []
        // iproute2 adds flags like `proxy` while it parses, before the attributes it adds at the end.
        if proxy { data.append(.u8(IFLA.vxlanProxy, 1)) }
        if let underlayIndex { data.append(.i32(IFLA.vxlanLink, underlayIndex)) }
        data.append(.u32(IFLA.vxlanID, vni))
        if let local { data.append(NetlinkAttribute(local.count == 16 ? IFLA.vxlanLocal6 : IFLA.vxlanLocal, bytes: local)) }
        data.append(.u8(IFLA.vxlanLearning, learning ? 1 : 0))
        data.append(.be16(IFLA.vxlanPort, port))
        return newLink(name: name, mtu: mtu, kind: "vxlan", data: NetlinkAttribute(IFLA.infoData, nested: data))
    }

    /// `ip link add link PARENT name NAME [mtu MTU] [netns FD] type macvlan mode bridge`: iproute2 puts the target
    /// namespace and the parent before the name.
    static func linkAddMacvlan(name: String, parentIndex: Int32, namespaceFD: Int32?, mtu: UInt32?) -> NetlinkMessage {
        var attributes: [NetlinkAttribute] = []
        if let mtu { attributes.append(.u32(IFLA.mtu, mtu)) }
        if let namespaceFD { attributes.append(.i32(IFLA.netNsFD, namespaceFD)) }
        attributes.append(.i32(IFLA.link, parentIndex))
        attributes.append(.string(IFLA.ifname, name))
        attributes.append(NetlinkAttribute(IFLA.linkinfo, nested: [
            .unterminated(IFLA.infoKind, "macvlan"),
            NetlinkAttribute(IFLA.infoData, nested: [.u32(IFLA.macvlanMode, IFLA.macvlanModeBridge)]),
        ]))
        return NetlinkMessage(type: NL.newLink, flags: createFlags, header: FamilyHeader.ifinfomsg(),
                              attributes: attributes)
    }

    private static func newLink(name: String, mtu: UInt32?, address: [UInt8]? = nil, kind: String,
                                data: NetlinkAttribute?) -> NetlinkMessage {
        var attributes: [NetlinkAttribute] = []
        if let mtu { attributes.append(.u32(IFLA.mtu, mtu)) }
        if let address { attributes.append(NetlinkAttribute(IFLA.address, bytes: address)) }
        attributes.append(.string(IFLA.ifname, name))
        var info = [NetlinkAttribute.unterminated(IFLA.infoKind, kind)]
        if let data { info.append(data) }
        attributes.append(NetlinkAttribute(IFLA.linkinfo, nested: info))
        return NetlinkMessage(type: NL.newLink, flags: createFlags, header: FamilyHeader.ifinfomsg(),
                              attributes: attributes)
    }

    /// `ip link show NAME` (one link; with stats skipped)
    static func linkGet(name: String) -> NetlinkMessage {
        NetlinkMessage(type: NL.getLink, flags: NL.request | NL.ack, header: FamilyHeader.ifinfomsg(),
                       attributes: [.u32(IFLA.extMask, IFLA.skipStats), .string(IFLA.ifname, name)])
    }

    /// `ip link show` (dump)
    static func linkDump() -> NetlinkMessage {
        NetlinkMessage(type: NL.getLink, flags: NL.request | NL.dump, header: FamilyHeader.ifinfomsg(),
                       attributes: [.u32(IFLA.extMask, IFLA.skipStats)])
    }

    /// `ip link set DEV up` / `down`: only IFF_UP changes (ifi_change masks the rest).
    static func linkSetUp(index: Int32, up: Bool) -> NetlinkMessage {
        NetlinkMessage(type: NL.newLink, flags: changeFlags,
                       header: FamilyHeader.ifinfomsg(index: index, flags: up ? IFLA.iffUp : 0, change: IFLA.iffUp))
    }

    /// `ip link set DEV master BR` (masterIndex 0 = `nomaster`)
    static func linkSetMaster(index: Int32, masterIndex: Int32) -> NetlinkMessage {
        linkChange(index: index, .i32(IFLA.master, masterIndex))
    }

    /// `ip link set DEV netns FD`
    static func linkSetNamespace(index: Int32, namespaceFD: Int32) -> NetlinkMessage {
        linkChange(index: index, .i32(IFLA.netNsFD, namespaceFD))
    }

    /// `ip link set DEV name NAME`
    static func linkSetName(index: Int32, name: String) -> NetlinkMessage {
        linkChange(index: index, .string(IFLA.ifname, name))
    }

    /// `ip link set DEV mtu MTU`
    static func linkSetMTU(index: Int32, mtu: UInt32) -> NetlinkMessage { linkChange(index: index, .u32(IFLA.mtu, mtu)) }

    /// `ip link set DEV address MAC`
    static func linkSetAddress(index: Int32, mac: [UInt8]) -> NetlinkMessage {
        linkChange(index: index, NetlinkAttribute(IFLA.address, bytes: mac))
    }

    private static func linkChange(index: Int32, _ attribute: NetlinkAttribute) -> NetlinkMessage {
        NetlinkMessage(type: NL.newLink, flags: changeFlags, header: FamilyHeader.ifinfomsg(index: index),
                       attributes: [attribute])
    }

    /// `bridge link set dev DEV hairpin on|off` (RTM_SETLINK, family AF_BRIDGE). Works in any namespace, unlike
    /// /sys/class/net/DEV/brport/hairpin_mode, which shows the links of the namespace that mounted /sys.
    static func bridgePortSetHairpin(index: Int32, on: Bool) -> NetlinkMessage {
        var header = FamilyHeader.ifinfomsg(index: index)
        header[0] = 7  // AF_BRIDGE
        return NetlinkMessage(type: NL.setLink, flags: changeFlags, header: header, attributes: [
            NetlinkAttribute(IFLA.protinfoNested, nested: [.u8(IFLA.brportMode, on ? 1 : 0)]),
        ])
    }

    /// `ip link del DEV` by index
    static func linkDelete(index: Int32) -> NetlinkMessage {
        NetlinkMessage(type: NL.delLink, flags: changeFlags, header: FamilyHeader.ifinfomsg(index: index))
    }

    /// `ip link del NAME` by name, in one request (no lookup race)
    static func linkDelete(name: String) -> NetlinkMessage {
        NetlinkMessage(type: NL.delLink, flags: changeFlags, header: FamilyHeader.ifinfomsg(),
                       attributes: [.string(IFLA.ifname, name)])
    }
}
