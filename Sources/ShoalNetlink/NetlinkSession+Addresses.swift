extension NetlinkSession {
    /// `ip addr add ADDR/LEN dev DEV [nodad]` (IPv4 also gets `brd +`). An address that is already there fails
    /// with EEXIST.
    public func addressAdd(index: Int32, address: [UInt8], prefixLength: UInt8,
                           noDAD: Bool = false) throws(NetlinkError) {
        let operation = "add address \(Format.ip(address))/\(prefixLength) dev \(index)"
        let family = try Validate.family(of: address, operation)
        try Validate.prefix(prefixLength, family, operation)
        try change(operation, NetlinkRequest.addressAdd(index: index, address: address, prefixLength: prefixLength,
                                                        family: family, noDAD: noDAD))
    }

    /// `ip addr del ADDR/LEN dev DEV`
    public func addressDelete(index: Int32, address: [UInt8], prefixLength: UInt8) throws(NetlinkError) {
        let operation = "delete address \(Format.ip(address))/\(prefixLength) dev \(index)"
        let family = try Validate.family(of: address, operation)
        try Validate.prefix(prefixLength, family, operation)
        try change(operation, NetlinkRequest.addressDelete(index: index, address: address,
                                                           prefixLength: prefixLength, family: family))
    }

    /// `ip addr show [dev DEV]`: IPv4 and IPv6 addresses, of one link or of all.
    public func addresses(index: Int32? = nil) throws(NetlinkError) -> [AddressInfo] {
        try perform("dump addresses", NetlinkRequest.addressDump())
            .compactMap(AddressInfo.init)
            .filter { index == nil || $0.index == index }
    }
}
