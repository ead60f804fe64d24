/// Numeric values from the kernel's uapi headers (linux/netlink.h, linux/rtnetlink.h, linux/if_link.h,
/// linux/if_addr.h, linux/neighbour.h, linux/veth.h). Spelled out here so the wire layer stays pure and reviewable;
/// the golden-byte tests compare them with what iproute2 sends.
enum NL {
    // nlmsghdr.nlmsg_type (linux/netlink.h, linux/rtnetlink.h)
    static let error: UInt16 = 2, done: UInt16 = 3
    static let newLink: UInt16 = 16, delLink: UInt16 = 17, getLink: UInt16 = 18, setLink: UInt16 = 19
    static let newAddr: UInt16 = 20, delAddr: UInt16 = 21, getAddr: UInt16 = 22
    static let newRoute: UInt16 = 24, delRoute: UInt16 = 25, getRoute: UInt16 = 26
    static let newNeigh: UInt16 = 28, delNeigh: UInt16 = 29
    static let newRule: UInt16 = 32, delRule: UInt16 = 33

    // nlmsghdr.nlmsg_flags
    static let request: UInt16 = 0x1, multi: UInt16 = 0x2, ack: UInt16 = 0x4
    static let dumpInterrupted: UInt16 = 0x10
    static let dump: UInt16 = 0x300  // NLM_F_ROOT | NLM_F_MATCH
    static let replace: UInt16 = 0x100, excl: UInt16 = 0x200, create: UInt16 = 0x400, append: UInt16 = 0x800
    // on NLMSG_ERROR: the request was not echoed back (NLM_F_CAPPED); extended-ACK attributes follow (NLM_F_ACK_TLVS)
    static let capped: UInt16 = 0x100, ackTLVs: UInt16 = 0x200

    static let headerLength = 16
    /// nlmsgerr attribute carrying the kernel's error text (NLMSGERR_ATTR_MSG).
    static let errorAttrMessage: UInt16 = 1
}

enum IFLA {
    static let address: UInt16 = 1, ifname: UInt16 = 3, mtu: UInt16 = 4, link: UInt16 = 5, master: UInt16 = 10
    static let linkinfo: UInt16 = 18, netNsFD: UInt16 = 28, extMask: UInt16 = 29
    /// IFLA_PROTINFO with NLA_F_NESTED: the kernel reads bridge-port settings only from the nested form.
    static let protinfoNested: UInt16 = 12 | 0x8000
    /// IFLA_BRPORT_MODE: the port's hairpin mode.
    static let brportMode: UInt16 = 4
    // IFLA_INFO_*
    static let infoKind: UInt16 = 1, infoData: UInt16 = 2
    // VETH_INFO_PEER
    static let vethPeer: UInt16 = 1
    // IFLA_VXLAN_*
    static let vxlanID: UInt16 = 1, vxlanLink: UInt16 = 3, vxlanLocal: UInt16 = 4, vxlanLearning: UInt16 = 7
    static let vxlanPort: UInt16 = 15, vxlanLocal6: UInt16 = 17, vxlanProxy: UInt16 = 11
    // IFLA_MACVLAN_MODE and MACVLAN_MODE_BRIDGE: slaves of one parent reach each other directly.
    static let macvlanMode: UInt16 = 1
    static let macvlanModeBridge: UInt32 = 4
    /// RTEXT_FILTER_SKIP_STATS: link replies without the (large) statistics blocks.
    static let skipStats: UInt32 = 1 << 3
    static let iffUp: UInt32 = 0x1
    static let ifinfomsgLength = 16
}

enum IFA {
    static let address: UInt16 = 1, local: UInt16 = 2, broadcast: UInt16 = 4
    /// ifa_flags: IFA_F_NODAD.
    static let noDAD: UInt8 = 0x02
    static let ifaddrmsgLength = 8
}

enum RTA {
    static let dst: UInt16 = 1, oif: UInt16 = 4, gateway: UInt16 = 5, table: UInt16 = 15
    static let tableMain: UInt8 = 254
    /// RTPROT_BOOT: what `ip route add` uses when no `proto` is given.
    static let protocolBoot: UInt8 = 3
    static let scopeUniverse: UInt8 = 0, scopeLink: UInt8 = 253, scopeNowhere: UInt8 = 255
    static let typeUnicast: UInt8 = 1
    /// RTNH_F_ONLINK: the gateway is on the link even though no address of the device covers it.
    static let flagOnLink: UInt32 = 4
    static let rtmsgLength = 12
}

/// linux/fib_rules.h: `ip rule`.
enum FRA {
    static let priority: UInt16 = 6, fwmark: UInt16 = 10, table: UInt16 = 15, fwmask: UInt16 = 16
    /// FR_ACT_TO_TBL: look the route up in a table.
    static let actionToTable: UInt8 = 1
    /// FIB_RULE_INVERT: the rule matches what its selectors do not (`ip rule add not …`).
    static let flagInvert: UInt32 = 2
    static let headerLength = 12
}

enum NDA {
    static let dst: UInt16 = 1, lladdr: UInt16 = 2
    static let nudReachable: UInt16 = 0x02, nudNoARP: UInt16 = 0x40, nudPermanent: UInt16 = 0x80
    static let ntfSelf: UInt8 = 0x02
    static let afBridge: UInt8 = 7
    static let ndmsgLength = 12
}
