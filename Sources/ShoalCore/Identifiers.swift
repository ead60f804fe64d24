/// Random 64-hex identifiers, as Docker uses for containers, exec instances and volumes-without-names.
public enum Identifier {
    public static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(32)
        for _ in 0..<4 {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        var id = bytes.hexString
        // Docker avoids all-digit short IDs, which the CLI could take for numbers; so do we.
        while id.prefix(12).allSatisfy(\.isNumber) {
            id = random()
        }
        return id
    }

    /// Container and volume names follow Docker's rule: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count >= 2, let first = bytes.first, isAlnum(first) else { return false }
        return bytes.dropFirst().allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlnum(_ c: UInt8) -> Bool {
        (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c)
    }
}

/// FNV-1a (32 bits): a stable short tag for names derived from a path or a cluster name, where kernel names must
/// stay short (links ≤ 15 bytes, nftables tables). Not a security boundary.
public enum ShortHash {
    public static func fnv1a(_ text: String) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in text.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return hash
    }
}

/// How Docker finds a network from what a user typed: its full name, else its full ID, else a unique prefix of
/// its ID (an ambiguous prefix is refused). One rule for local networks, swarm-scoped ones and both together.
public enum NetworkReference {
    public static func resolve<Network>(_ reference: String, in networks: some Collection<Network>,
                                        name: (Network) -> String, id: (Network) -> String) throws -> Network {
        if let byName = networks.first(where: { name($0) == reference }) { return byName }
        if let byID = networks.first(where: { id($0) == reference }) { return byID }
        let matches = networks.filter { !reference.isEmpty && id($0).hasPrefix(reference) }
        if matches.count == 1 { return matches[0] }
        if matches.count > 1 {
            throw ShoalError.invalidArgument(
                "network \(reference) is ambiguous (\(matches.count) matches found based on ID prefix)")
        }
        throw ShoalError.notFound("network \(reference) not found")
    }
}
