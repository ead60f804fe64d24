import Glibc

/// One message received from the kernel: the nlmsghdr fields and the payload after it.
struct NetlinkReply: Sendable, Equatable {
    var type: UInt16
    var flags: UInt16
    var sequence: UInt32
    var portID: UInt32
    var payload: ArraySlice<UInt8>

    /// Splits one datagram into messages (a datagram may carry many, e.g. a dump's NEWLINK batch).
    static func parse(_ datagram: ArraySlice<UInt8>) throws(NetlinkError) -> [NetlinkReply] {
        var replies: [NetlinkReply] = []
        var offset = 0
        while offset + NL.headerLength <= datagram.count {
            let rest = datagram.dropFirst(offset)
            guard let length = rest.u32(at: 0).map(Int.init), length >= NL.headerLength, length <= rest.count,
                  let type = rest.u16(at: 4), let flags = rest.u16(at: 6), let sequence = rest.u32(at: 8),
                  let portID = rest.u32(at: 12)
            else { throw NetlinkError(errno: EBADMSG, operation: "parse reply") }
            let start = rest.startIndex
            replies.append(NetlinkReply(type: type, flags: flags, sequence: sequence, portID: portID,
                                        payload: rest[(start + NL.headerLength)..<(start + length)]))
            offset += netlinkAligned(length)
        }
        return replies
    }

    /// For NLMSG_ERROR: the (negative) errno, 0 for an ACK. For NLMSG_DONE: the optional error int after the header.
    var errorCode: Int32 { payload.i32(at: 0) ?? 0 }

    /// The kernel's extended-ACK text (NLMSGERR_ATTR_MSG) of an NLMSG_ERROR, when it sent one.
    var errorMessage: String? {
        guard type == NL.error, flags & NL.ackTLVs != 0 else { return nil }
        // struct nlmsgerr { int error; struct nlmsghdr msg; } then the echoed payload unless NLM_F_CAPPED (0x100).
        var skip = 4 + NL.headerLength
        if flags & NL.capped == 0, let echoed = payload.u32(at: 4) { skip = 4 + Int(echoed) }
        let tlvs = NetlinkAttributes(payload.dropFirst(netlinkAligned(skip)))
        return tlvs[NL.errorAttrMessage]?.cString
    }
}

/// The attributes of a payload region, parsed lazily into (type, payload) pairs; later duplicates win on lookup.
struct NetlinkAttributes: Sendable {
    private(set) var entries: [(type: UInt16, payload: ArraySlice<UInt8>)] = []

    init(_ bytes: ArraySlice<UInt8>) {
        var offset = 0
        while offset + 4 <= bytes.count {
            let rest = bytes.dropFirst(offset)
            guard let length = rest.u16(at: 0).map(Int.init), let rawType = rest.u16(at: 2),
                  length >= 4, length <= rest.count
            else { break }
            let start = rest.startIndex
            // Strip NLA_F_NESTED and NLA_F_NET_BYTEORDER from the type.
            entries.append((rawType & 0x3fff, rest[(start + 4)..<(start + length)]))
            offset += netlinkAligned(length)
        }
    }

    subscript(type: UInt16) -> ArraySlice<UInt8>? {
        entries.last { $0.type == type }?.payload
    }
}
