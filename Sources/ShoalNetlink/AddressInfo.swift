/// One interface address as an RTM_NEWADDR reply describes it (`ip addr show`).
public struct AddressInfo: Sendable, Hashable {
    public var family: AddressFamily
    public var address: [UInt8]
    public var prefixLength: UInt8
    public var index: Int32

    public init(family: AddressFamily, address: [UInt8], prefixLength: UInt8, index: Int32) {
        self.family = family
        self.address = address
        self.prefixLength = prefixLength
        self.index = index
    }

    /// Decodes ifaddrmsg + IFA_*: IFA_LOCAL is the interface's own address (IFA_ADDRESS is the peer on
    /// point-to-point links), so it wins when present. Nil for other families or a missing address.
    init?(_ reply: NetlinkReply) {
        guard reply.type == NL.newAddr, let rawFamily = reply.payload.u8(at: 0),
              let family = AddressFamily(rawValue: rawFamily), let prefixLength = reply.payload.u8(at: 1),
              let index = reply.payload.i32(at: 4)
        else { return nil }
        let attributes = NetlinkAttributes(reply.payload.dropFirst(IFA.ifaddrmsgLength))
        guard let address = attributes[IFA.local] ?? attributes[IFA.address], address.count == family.addressLength
        else { return nil }
        self.init(family: family, address: Array(address), prefixLength: prefixLength, index: index)
    }
}
