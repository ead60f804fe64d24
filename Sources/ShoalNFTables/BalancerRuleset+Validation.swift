// Checks that the model renders to a script nft accepts; render() itself renders whatever it is given.

extension BalancerRuleset {
    /// Human-readable problems that would make `render()` fail to apply; empty when fine.
    public func validationIssues() -> [String] {
        var issues: [String] = []
        if !NFT.isValidTableName(table) {
            issues.append("table name \"\(table)\" must start with a letter and contain only letters, digits and _")
        }
        for service in services {
            if IPv4.parse(service.vip) == nil {
                issues.append("VIP \"\(service.vip)\" is not an IPv4 address")
            }
            for backend in service.backends where IPv4.parse(backend) == nil {
                issues.append("backend \"\(backend)\" of VIP \(service.vip) is not an IPv4 address")
            }
        }
        return issues
    }
}
