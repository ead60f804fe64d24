extension NetlinkRequest {
    /// `ip rule add [not] fwmark MARK/MASK lookup TABLE pref PRIORITY`: what the kernel's fib rules take, the table
    /// in the header below 256 and always as FRA_TABLE, as iproute2 sends it.
    static func ruleAdd(family: AddressFamily, fwmark: UInt32, mask: UInt32, invert: Bool, table: UInt32,
                        priority: UInt32) -> NetlinkMessage {
        NetlinkMessage(
            type: NL.newRule, flags: createFlags,
            header: FamilyHeader.fibRuleHeader(family: family.rawValue, table: table > 255 ? 0 : UInt8(table),
                                               action: FRA.actionToTable, flags: invert ? FRA.flagInvert : 0),
            attributes: [.u32(FRA.fwmark, fwmark), .u32(FRA.fwmask, mask), .u32(FRA.table, table),
                         .u32(FRA.priority, priority)])
    }
}
