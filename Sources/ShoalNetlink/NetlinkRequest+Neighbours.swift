extension NetlinkRequest {
    /// `ip neigh replace ADDR lladdr MAC dev DEV nud {permanent | reachable}`
    static func neighbourAdd(index: Int32, address: [UInt8], mac: [UInt8], permanent: Bool,
                             family: AddressFamily) -> NetlinkMessage {
        NetlinkMessage(type: NL.newNeigh, flags: NL.request | NL.ack | NL.replace | NL.create,
                       header: FamilyHeader.ndmsg(family: family.rawValue, index: index,
                                                  state: permanent ? NDA.nudPermanent : NDA.nudReachable, flags: 0),
                       attributes: [NetlinkAttribute(NDA.dst, bytes: address), NetlinkAttribute(NDA.lladdr, bytes: mac)])
    }

    /// `ip neigh del ADDR dev DEV` (the state is ignored on delete; NUD_PERMANENT is what iproute2 sends)
    static func neighbourDelete(index: Int32, address: [UInt8], family: AddressFamily) -> NetlinkMessage {
        NetlinkMessage(type: NL.delNeigh, flags: changeFlags,
                       header: FamilyHeader.ndmsg(family: family.rawValue, index: index, state: NDA.nudPermanent,
                                                  flags: 0),
                       attributes: [NetlinkAttribute(NDA.dst, bytes: address)])
    }

    /// `bridge fdb append MAC dev DEV dst IP self permanent`: an entry in the device's own table (NTF_SELF, e.g. a
    /// VXLAN's remote list); APPEND lets one MAC (00:00:00:00:00:00 for flooding) list several destinations.
    static func fdbAppend(index: Int32, mac: [UInt8], destination: [UInt8]) -> NetlinkMessage {
        fdb(type: NL.newNeigh, flags: NL.request | NL.ack | NL.create | NL.append, index: index, mac: mac,
            destination: destination)
    }

    /// `bridge fdb del MAC dev DEV dst IP self`
    static func fdbDelete(index: Int32, mac: [UInt8], destination: [UInt8]) -> NetlinkMessage {
        fdb(type: NL.delNeigh, flags: changeFlags, index: index, mac: mac, destination: destination)
    }

    /// State is what `bridge … permanent` sends: NUD_PERMANENT | NUD_NOARP (`bridge` always adds NOARP).
    private static func fdb(type: UInt16, flags: UInt16, index: Int32, mac: [UInt8],
                            destination: [UInt8]) -> NetlinkMessage {
        NetlinkMessage(type: type, flags: flags,
                       header: FamilyHeader.ndmsg(family: NDA.afBridge, index: index,
                                                  state: NDA.nudPermanent | NDA.nudNoARP, flags: NDA.ntfSelf),
                       attributes: [NetlinkAttribute(NDA.lladdr, bytes: mac), NetlinkAttribute(NDA.dst, bytes: destination)])
    }
}
