import Glibc

extension NetlinkSession {
    /// `ip route add {DST/LEN | default} [via GW] [dev DEV] [onlink] [table T]` (the main table unless `table`
    /// is given). `family` may be left out when `destination` or `gateway` is given; a route with neither
    /// (`ip route add default dev X`) defaults to IPv4.
    public func routeAdd(destination: [UInt8]?, prefixLength: UInt8 = 0, gateway: [UInt8]? = nil,
                         outputIndex: Int32? = nil, family: AddressFamily? = nil, table: UInt32? = nil,
                         onLink: Bool = false) throws(NetlinkError) {
        let operation = "add route \(Format.prefix(destination, prefixLength))\(describe(gateway, outputIndex))"
            + (onLink ? " onlink" : "") + (table.map { " table \($0)" } ?? "")
        let family = try resolve(family, destination, prefixLength, gateway, operation)
        try change(operation, NetlinkRequest.routeAdd(destination: destination, prefixLength: prefixLength,
                                                      gateway: gateway, outputIndex: outputIndex, family: family,
                                                      table: table ?? UInt32(RTA.tableMain), onLink: onLink))
    }

    /// `ip route del {DST/LEN | default} [via GW] [dev DEV]` from the main table.
    public func routeDelete(destination: [UInt8]?, prefixLength: UInt8 = 0, gateway: [UInt8]? = nil,
                            outputIndex: Int32? = nil, family: AddressFamily? = nil) throws(NetlinkError) {
        let operation = "delete route \(Format.prefix(destination, prefixLength))\(describe(gateway, outputIndex))"
        let family = try resolve(family, destination, prefixLength, gateway, operation)
        try change(operation, NetlinkRequest.routeDelete(destination: destination, prefixLength: prefixLength,
                                                         gateway: gateway, outputIndex: outputIndex, family: family))
    }

    /// `ip [-6] route show` (main table only)
    public func routes(family: AddressFamily) throws(NetlinkError) -> [RouteInfo] {
        try perform("dump \(family) routes", NetlinkRequest.routeDump(family: family))
            .compactMap(RouteInfo.init)
            .filter { $0.family == family }
    }

    private func describe(_ gateway: [UInt8]?, _ outputIndex: Int32?) -> String {
        (gateway.map { " via \(Format.ip($0))" } ?? "") + (outputIndex.map { " dev \($0)" } ?? "")
    }

    /// The one family all given addresses agree on.
    private func resolve(_ family: AddressFamily?, _ destination: [UInt8]?, _ prefixLength: UInt8,
                         _ gateway: [UInt8]?, _ operation: String) throws(NetlinkError) -> AddressFamily {
        var families: [AddressFamily] = family.map { [$0] } ?? []
        for address in [destination, gateway].compactMap(\.self) {
            families.append(try Validate.family(of: address, operation))
        }
        let resolved = families.first ?? .inet
        guard families.allSatisfy({ $0 == resolved }) else {
            throw NetlinkError(errno: EINVAL, operation: operation, detail: "mixed address families")
        }
        if destination != nil { try Validate.prefix(prefixLength, resolved, operation) }
        return resolved
    }
}
