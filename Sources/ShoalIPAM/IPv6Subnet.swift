/// An IPv6 network in CIDR form: enough to recognise, validate and carry `--subnet fd00::/64` until IPv6 networking
/// lands. Canonical only, like `IPv4Subnet`.
import ShoalCore

public struct IPv6Subnet: Sendable, Hashable, CustomStringConvertible {
    public let network: IPv6Address
    public let prefixLength: Int

    public init(parsing text: String, label: String) throws(ShoalError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty, parts[1].utf8.count <= 3,
              parts[1].utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let length = Int(parts[1]), (0...128).contains(length),
              let address = try? IPv6Address(parsing: String(parts[0]))
        else { throw IPAMError.invalidCIDR(text) }
        let masked = IPv6Subnet.masked(address, length)
        guard masked == address else {
            throw IPAMError.notCanonical(label, text, "\(masked)/\(length)")
        }
        network = address
        prefixLength = length
    }

    static func masked(_ address: IPv6Address, _ length: Int) -> IPv6Address {
        func mask(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? .max : UInt64.max << UInt64(64 - bits) }
        return IPv6Address(high: address.high & mask(length), low: address.low & mask(length - 64))
    }

    public func contains(_ address: IPv6Address) -> Bool { IPv6Subnet.masked(address, prefixLength) == network }

    public var description: String { "\(network)/\(prefixLength)" }
}

extension IPv6Subnet: TextCodable {
    /// `TextCodable`'s requirement: a subnet named as such in errors.
    public init(parsing text: String) throws(ShoalError) {
        try self.init(parsing: text, label: "subnet")
    }
}
