import ShoalModel

extension Constraint {
    /// Whether the node satisfies this expression. Values compare case-insensitively and in full (no globs).
    public func matches(_ node: SwarmNode) -> Bool {
        switch subject {
        case .nodeID: return matches(node.id)
        case .hostname: return matches(node.description.hostname)
        case .role: return matches(node.spec.role.rawValue)
        case .os: return matches(node.description.os)
        case .architecture: return matches(node.description.architecture)
        case .nodeLabel(let name): return matches(node.spec.labels[name] ?? "")
        case .engineLabel(let name): return matches(node.description.engineLabels[name] ?? "")
        case .nodeIP: return matchesAddress(node.status.address)
        case .unknown: return false
        }
    }

    private func matches(_ property: String) -> Bool {
        let equal = property.caseInsensitiveEquals(value)
        return op == .equal ? equal : !equal
    }

    /// `node.ip==10.0.0.5` or `node.ip!=10.0.0.0/24`. A value that is neither an address nor a subnet matches no
    /// node, whichever the operator (SwarmKit rejects the node rather than guess).
    private func matchesAddress(_ address: String) -> Bool {
        let nodeAddress = IPv4Subnet(parsing: Self.hostPart(of: address) + "/32")
        if let subnet = IPv4Subnet(parsing: value.contains("/") ? value : value + "/32") {
            let inside = nodeAddress.map { subnet.contains($0.address) } ?? false
            return op == .equal ? inside : !inside
        }
        if value.contains(":") && !value.contains("/") {
            // IPv6 literal: compare the text, as far as this scheduler goes without an address parser.
            return matches(Self.hostPart(of: address))
        }
        return false
    }

    /// The address part of what the manager saw the node at (`10.0.0.5:2377` → `10.0.0.5`).
    private static func hostPart(of address: String) -> String {
        if address.hasPrefix("["), let end = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<end])
        }
        if address.filter({ $0 == ":" }).count == 1, let colon = address.firstIndex(of: ":") {
            return String(address[..<colon])
        }
        return address
    }
}

extension Array where Element == Constraint {
    /// Whether a node satisfies every constraint (an empty list matches every node).
    public func allMatch(_ node: SwarmNode) -> Bool { allSatisfy { $0.matches(node) } }
}

extension String {
    /// ASCII case folding is all the constraint grammar allows in values, so this avoids Unicode case mapping.
    func caseInsensitiveEquals(_ other: String) -> Bool {
        let a = utf8, b = other.utf8
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { Self.lowerASCII($0) == Self.lowerASCII($1) }
    }

    private static func lowerASCII(_ c: UInt8) -> UInt8 { (65...90).contains(c) ? c + 32 : c }
}

/// Just enough IPv4 for `node.ip` constraints: ShoalScheduler depends on no address library.
struct IPv4Subnet: Equatable {
    var address: UInt32
    var prefixLength: Int

    init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = Int(parts[1]), (0...32).contains(length) else { return nil }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard octet.count <= 3, let byte = UInt8(octet) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        address = value
        prefixLength = length
    }

    private var mask: UInt32 { prefixLength == 0 ? 0 : ~UInt32(0) << (32 - prefixLength) }

    func contains(_ other: UInt32) -> Bool { other & mask == address & mask }
}
