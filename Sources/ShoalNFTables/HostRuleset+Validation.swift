// Checks that the model renders to a script nft accepts and that means what the caller intends.
// render() does not check: it renders whatever it is given, and nft rejects a malformed script as a whole.

extension HostRuleset {
    /// Human-readable problems that would make `render()` fail to apply or behave unexpectedly; empty when fine.
    public func validationIssues() -> [String] {
        var issues: [String] = []
        if !NFT.isValidTableName(table) {
            issues.append("table name \"\(table)\" must start with a letter and contain only letters, digits and _")
        }
        var bridges: Set<String> = []
        for n in networks {
            if !Self.isValidInterfaceName(n.bridge) {
                issues.append("bridge name \"\(n.bridge)\" is not a valid interface name")
            }
            if !bridges.insert(n.bridge).inserted {
                issues.append("bridge \(n.bridge) is listed more than once")
            }
            if IPv4.parseCIDR(n.subnet) == nil {
                issues.append("subnet \"\(n.subnet)\" of bridge \(n.bridge) is not an IPv4 CIDR")
            }
        }
        for (index, p) in publications.enumerated() {
            let name = "\(p.boundAddress ?? "0.0.0.0"):\(p.hostPort)/\(p.proto.rawValue)"
            if let address = p.boundAddress, IPv4.parse(address) == nil {
                issues.append("publication \(name): host IP \"\(address)\" is not IPv4 and cannot be rendered")
            }
            if IPv4.parse(p.containerIP) == nil {
                issues.append("publication \(name): container IP \"\(p.containerIP)\" is not IPv4")
            }
            if p.hostPort == 0 || p.containerPort == 0 {
                issues.append("publication \(name): port 0 cannot be published")
            }
            if !bridges.contains(p.bridge) {
                issues.append("publication \(name): bridge \(p.bridge) is not one of the ruleset's networks")
            }
            // As in Docker, a host port is bound once per protocol: a wildcard binding collides with any other.
            let collides = publications[..<index].contains { q in
                q.hostPort == p.hostPort && q.proto == p.proto && !q.isSameRule(as: p)
                    && (q.boundAddress == nil || p.boundAddress == nil || q.boundAddress == p.boundAddress)
            }
            if collides {
                issues.append("publication \(name) collides with another publication of the same host port")
            }
        }
        return issues
    }

    /// Linux interface names: 1–15 bytes, no "/", ":", whitespace or quotes, not "." or "..".
    static func isValidInterfaceName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...15).contains(bytes.count), name != ".", name != ".." else { return false }
        let forbidden = Array("/:\"'\\".utf8)
        return bytes.allSatisfy { (0x21...0x7E).contains($0) && !forbidden.contains($0) }
    }
}
