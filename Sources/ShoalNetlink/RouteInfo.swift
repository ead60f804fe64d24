/// One route of the main table as an RTM_NEWROUTE reply describes it (`ip route show`).
public struct RouteInfo: Sendable, Hashable {
    public var family: AddressFamily
    /// Nil for the default route.
    public var destination: [UInt8]?
    public var prefixLength: UInt8
    public var gateway: [UInt8]?
    public var outputIndex: Int32?

    public init(family: AddressFamily, destination: [UInt8]?, prefixLength: UInt8, gateway: [UInt8]?,
                outputIndex: Int32?) {
        self.family = family
        self.destination = destination
        self.prefixLength = prefixLength
        self.gateway = gateway
        self.outputIndex = outputIndex
    }

    /// Decodes rtmsg + RTA_*; nil unless it is a route of the main table (RTA_TABLE overrides rtm_table, which
    /// only holds tables below 256).
    init?(_ reply: NetlinkReply) {
        guard reply.type == NL.newRoute, let rawFamily = reply.payload.u8(at: 0),
              let family = AddressFamily(rawValue: rawFamily), let prefixLength = reply.payload.u8(at: 1),
              let headerTable = reply.payload.u8(at: 4)
        else { return nil }
        let attributes = NetlinkAttributes(reply.payload.dropFirst(RTA.rtmsgLength))
        let table = attributes[RTA.table]?.u32(at: 0) ?? UInt32(headerTable)
        guard table == UInt32(RTA.tableMain) else { return nil }
        self.init(family: family,
                  destination: attributes[RTA.dst].map(Array.init),
                  prefixLength: prefixLength,
                  gateway: attributes[RTA.gateway].map(Array.init),
                  outputIndex: attributes[RTA.oif]?.i32(at: 0))
    }
}
