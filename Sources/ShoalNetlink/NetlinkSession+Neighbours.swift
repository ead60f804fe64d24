extension NetlinkSession {
    /// `ip neigh replace ADDR lladdr MAC dev DEV nud permanent` (`nud reachable` when not permanent):
    /// creates or overwrites, so repeating it converges.
    public func neighbourAdd(index: Int32, address: [UInt8], mac: [UInt8], permanent: Bool = true) throws(NetlinkError) {
        let operation = "add neighbour \(Format.ip(address)) lladdr \(Format.mac(mac)) dev \(index)"
        let family = try Validate.family(of: address, operation)
        try Validate.mac(mac, operation)
        try change(operation, NetlinkRequest.neighbourAdd(index: index, address: address, mac: mac,
                                                          permanent: permanent, family: family))
    }

    /// `ip neigh del ADDR dev DEV`
    public func neighbourDelete(index: Int32, address: [UInt8]) throws(NetlinkError) {
        let operation = "delete neighbour \(Format.ip(address)) dev \(index)"
        let family = try Validate.family(of: address, operation)
        try change(operation, NetlinkRequest.neighbourDelete(index: index, address: address, family: family))
    }

    /// `bridge fdb append MAC dev DEV dst IP self permanent`: one more remote for MAC on a VXLAN device
    /// (00:00:00:00:00:00 = where to flood broadcast and unknown traffic).
    public func fdbAppend(index: Int32, mac: [UInt8], destination: [UInt8]) throws(NetlinkError) {
        let operation = "append fdb \(Format.mac(mac)) dev \(index) dst \(Format.ip(destination))"
        try Validate.mac(mac, operation)
        _ = try Validate.family(of: destination, operation)
        try change(operation, NetlinkRequest.fdbAppend(index: index, mac: mac, destination: destination))
    }

    /// `bridge fdb del MAC dev DEV dst IP self`
    public func fdbDelete(index: Int32, mac: [UInt8], destination: [UInt8]) throws(NetlinkError) {
        let operation = "delete fdb \(Format.mac(mac)) dev \(index) dst \(Format.ip(destination))"
        try Validate.mac(mac, operation)
        _ = try Validate.family(of: destination, operation)
        try change(operation, NetlinkRequest.fdbDelete(index: index, mac: mac, destination: destination))
    }
}
