/// One request as it goes to the kernel: nlmsghdr + a family header (ifinfomsg, ifaddrmsg, rtmsg or ndmsg) +
/// attributes. Pure: the sequence number and port id are supplied at encoding time so the bytes are reproducible.
struct NetlinkMessage: Sendable, Equatable {
    var type: UInt16
    var flags: UInt16
    var header: [UInt8]
    var attributes: [NetlinkAttribute]

    init(type: UInt16, flags: UInt16, header: [UInt8], attributes: [NetlinkAttribute] = []) {
        self.type = type
        self.flags = flags
        self.header = header
        self.attributes = attributes
    }

    /// True for requests answered by a multipart stream ending in NLMSG_DONE.
    var isDump: Bool { flags & NL.dump == NL.dump }

    func encoded(sequence: UInt32, portID: UInt32 = 0) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.u32(0)  // nlmsg_len, patched below
        w.u16(type)
        w.u16(flags)
        w.u32(sequence)
        w.u32(portID)
        w.raw(header)
        w.align()
        for attribute in attributes { attribute.encode(into: &w) }
        w.patchU32(UInt32(w.bytes.count), at: 0)
        return w.bytes
    }
}

/// The fixed family headers, laid out as in the uapi structs.
enum FamilyHeader {
    /// struct ifinfomsg { u8 family; u8 pad; u16 type; i32 index; u32 flags; u32 change; }
    static func ifinfomsg(index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) -> [UInt8] {
        var w = ByteWriter(capacity: IFLA.ifinfomsgLength)
        w.u8(0)  // AF_UNSPEC
        w.u8(0)
        w.u16(0)  // ARPHRD_NETROM (0), as iproute2 leaves it
        w.i32(index)
        w.u32(flags)
        w.u32(change)
        return w.bytes
    }

    /// struct ifaddrmsg { u8 family; u8 prefixlen; u8 flags; u8 scope; u32 index; }
    static func ifaddrmsg(family: UInt8, prefixLength: UInt8, index: Int32, flags: UInt8 = 0) -> [UInt8] {
        var w = ByteWriter(capacity: IFA.ifaddrmsgLength)
        w.u8(family)
        w.u8(prefixLength)
        w.u8(flags)
        w.u8(0)  // RT_SCOPE_UNIVERSE
        w.i32(index)
        return w.bytes
    }

    /// struct rtmsg { u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags; }
    static func rtmsg(family: UInt8, destinationLength: UInt8, table: UInt8, protocol: UInt8, scope: UInt8,
                      type: UInt8, flags: UInt32 = 0) -> [UInt8] {
        var w = ByteWriter(capacity: RTA.rtmsgLength)
        for byte in [family, destinationLength, 0, 0, table, `protocol`, scope, type] { w.u8(byte) }
        w.u32(flags)
        return w.bytes
    }

    /// struct fib_rule_hdr { u8 family, dst_len, src_len, tos, table, res1, res2, action; u32 flags; }
    static func fibRuleHeader(family: UInt8, table: UInt8, action: UInt8, flags: UInt32) -> [UInt8] {
        var w = ByteWriter(capacity: FRA.headerLength)
        for byte in [family, 0, 0, 0, table, 0, 0, action] { w.u8(byte) }
        w.u32(flags)
        return w.bytes
    }

    /// struct ndmsg { u8 family; u8 pad1; u16 pad2; i32 ifindex; u16 state; u8 flags; u8 type; }
    static func ndmsg(family: UInt8, index: Int32, state: UInt16, flags: UInt8) -> [UInt8] {
        var w = ByteWriter(capacity: NDA.ndmsgLength)
        w.u8(family)
        w.u8(0)
        w.u16(0)
        w.i32(index)
        w.u16(state)
        w.u8(flags)
        w.u8(0)  // RTN_UNSPEC
        return w.bytes
    }
}
