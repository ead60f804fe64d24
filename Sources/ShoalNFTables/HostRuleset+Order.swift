// The order rules are rendered in: it only depends on the values, so shuffled input gives the same script.

extension BridgeNetworkRules {
    static func renderOrder(_ a: BridgeNetworkRules, _ b: BridgeNetworkRules) -> Bool {
        if a.bridge != b.bridge { return a.bridge < b.bridge }
        if a.subnet != b.subnet { return a.subnet < b.subnet }
        let flags = { (n: BridgeNetworkRules) in [n.isInternal, n.masquerade, n.interContainer].map { $0 ? 1 : 0 } }
        return flags(a).lexicographicallyPrecedes(flags(b))
    }
}

extension PortPublication {
    /// By host port, then protocol, then addresses bound to one host IP before those on all addresses (so a
    /// specific binding would win over a wildcard one on the same port), then the target.
    static func renderOrder(_ a: PortPublication, _ b: PortPublication) -> Bool {
        if a.hostPort != b.hostPort { return a.hostPort < b.hostPort }
        if a.proto != b.proto { return a.proto.rawValue < b.proto.rawValue }
        switch (a.boundAddress, b.boundAddress) {
        case (nil, .some): return false
        case (.some, nil): return true
        case let (.some(x), .some(y)) where x != y: return IPv4.precedes(x, y)
        default: break
        }
        if a.containerIP != b.containerIP { return IPv4.precedes(a.containerIP, b.containerIP) }
        if a.containerPort != b.containerPort { return a.containerPort < b.containerPort }
        return a.bridge < b.bridge
    }

    /// Two publications rendering the same DNAT rule ("0.0.0.0" and nil are the same binding).
    func isSameRule(as other: PortPublication) -> Bool {
        proto == other.proto && boundAddress == other.boundAddress && hostPort == other.hostPort
            && containerIP == other.containerIP && containerPort == other.containerPort && bridge == other.bridge
    }
}
