extension NetlinkRequest {
    /// `ip addr add ADDR/LEN [brd +] dev DEV`: IFA_LOCAL and IFA_ADDRESS carry the address; for IPv4 with a prefix
    /// of at most 30 bits the broadcast is the host part set to ones, as `brd +` computes it.
    /// `noDAD` (`ip addr add … nodad`, IFA_F_NODAD): an IPv6 address usable at once, without duplicate address
    /// detection (the address is the network's to give; detection would hold it "tentative" for a second or two).
    static func addressAdd(index: Int32, address: [UInt8], prefixLength: UInt8,
                           family: AddressFamily, noDAD: Bool = false) -> NetlinkMessage {
        var attributes = addressAttributes(address)
        if family == .inet, prefixLength <= 30 {
            attributes.append(NetlinkAttribute(IFA.broadcast, bytes: broadcast(address, prefixLength)))
        }
        return NetlinkMessage(type: NL.newAddr, flags: createFlags,
                              header: FamilyHeader.ifaddrmsg(family: family.rawValue, prefixLength: prefixLength,
                                                             index: index, flags: noDAD ? IFA.noDAD : 0),
                              attributes: attributes)
    }

    /// `ip addr del ADDR/LEN dev DEV`
    static func addressDelete(index: Int32, address: [UInt8], prefixLength: UInt8,
                              family: AddressFamily) -> NetlinkMessage {
        NetlinkMessage(type: NL.delAddr, flags: changeFlags,
                       header: FamilyHeader.ifaddrmsg(family: family.rawValue, prefixLength: prefixLength,
                                                      index: index),
                       attributes: addressAttributes(address))
    }

    /// `ip addr show` (dump of both families; the session filters by index)
    static func addressDump() -> NetlinkMessage {
        NetlinkMessage(type: NL.getAddr, flags: NL.request | NL.dump,
                       header: FamilyHeader.ifaddrmsg(family: 0, prefixLength: 0, index: 0))
    }

    private static func addressAttributes(_ address: [UInt8]) -> [NetlinkAttribute] {
        [NetlinkAttribute(IFA.local, bytes: address), NetlinkAttribute(IFA.address, bytes: address)]
    }

    static func broadcast(_ address: [UInt8], _ prefixLength: UInt8) -> [UInt8] {
        address.enumerated().map { i, byte in
            let bitsInByte = max(0, min(8, Int(prefixLength) - i * 8))
            let hostMask = UInt8(truncatingIfNeeded: 0xff >> bitsInByte)
            return byte | hostMask
        }
    }
}
