extension NetlinkSession {
    /// `ip rule add [not] fwmark MARK/MASK lookup TABLE pref PRIORITY`. A rule already there with the same
    /// selectors is EEXIST.
    public func ruleAdd(fwmark: UInt32, mask: UInt32 = .max, invert: Bool = false, table: UInt32, priority: UInt32,
                        family: AddressFamily = .inet) throws(NetlinkError) {
        let operation = "add rule \(invert ? "not " : "")fwmark \(fwmark)/\(mask) lookup \(table) pref \(priority)"
        try change(operation, NetlinkRequest.ruleAdd(family: family, fwmark: fwmark, mask: mask, invert: invert,
                                                     table: table, priority: priority))
    }
}
