extension NetlinkRequest {
    /// `ip route add {DST/LEN | default} [via GW] [dev DEV] [onlink] [table T]`, protocol boot, unicast.
    /// Scope follows iproute2: link for IPv4 routes without a gateway, universe otherwise; so does the table (in
    /// the header below 256, else as RTA_TABLE).
    static func routeAdd(destination: [UInt8]?, prefixLength: UInt8, gateway: [UInt8]?, outputIndex: Int32?,
                         family: AddressFamily, table: UInt32 = UInt32(RTA.tableMain),
                         onLink: Bool = false) -> NetlinkMessage {
        let scope = family == .inet && gateway == nil ? RTA.scopeLink : RTA.scopeUniverse
        // In iproute2's order: the table where `table` is parsed, the device last.
        var attributes = routeAttributes(destination, gateway, nil)
        if table > 255 { attributes.append(.u32(RTA.table, table)) }
        if let outputIndex { attributes.append(.i32(RTA.oif, outputIndex)) }
        return NetlinkMessage(
            type: NL.newRoute, flags: createFlags,
            header: FamilyHeader.rtmsg(family: family.rawValue, destinationLength: destination == nil ? 0 : prefixLength,
                                       table: table > 255 ? 0 : UInt8(table), protocol: RTA.protocolBoot,
                                       scope: scope, type: RTA.typeUnicast, flags: onLink ? RTA.flagOnLink : 0),
            attributes: attributes)
    }

    /// `ip route del {DST/LEN | default} [via GW] [dev DEV]`: protocol and type left unspecified so any
    /// matching route goes; IPv4 uses scope nowhere (matches any scope), as iproute2 does.
    static func routeDelete(destination: [UInt8]?, prefixLength: UInt8, gateway: [UInt8]?, outputIndex: Int32?,
                            family: AddressFamily) -> NetlinkMessage {
        let scope = family == .inet ? RTA.scopeNowhere : RTA.scopeUniverse
        return NetlinkMessage(
            type: NL.delRoute, flags: changeFlags,
            header: FamilyHeader.rtmsg(family: family.rawValue, destinationLength: destination == nil ? 0 : prefixLength,
                                       table: RTA.tableMain, protocol: 0, scope: scope, type: 0),
            attributes: routeAttributes(destination, gateway, outputIndex))
    }

    /// `ip [-6] route show` (dump of one family; the session keeps the main table)
    static func routeDump(family: AddressFamily) -> NetlinkMessage {
        NetlinkMessage(type: NL.getRoute, flags: NL.request | NL.dump,
                       header: FamilyHeader.rtmsg(family: family.rawValue, destinationLength: 0, table: 0,
                                                  protocol: 0, scope: 0, type: 0))
    }

    private static func routeAttributes(_ destination: [UInt8]?, _ gateway: [UInt8]?,
                                        _ outputIndex: Int32?) -> [NetlinkAttribute] {
        var attributes: [NetlinkAttribute] = []
        if let destination { attributes.append(NetlinkAttribute(RTA.dst, bytes: destination)) }
        if let gateway { attributes.append(NetlinkAttribute(RTA.gateway, bytes: gateway)) }
        if let outputIndex { attributes.append(.i32(RTA.oif, outputIndex)) }
        return attributes
    }
}
