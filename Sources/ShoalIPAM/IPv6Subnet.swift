/// An IPv6 network in CIDR form (`--subnet fd00::/64`). Canonical only, like `IPv4Subnet`.
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

    public func contains(_ other: IPv6Subnet) -> Bool { other.prefixLength >= prefixLength && contains(other.network) }

    public func overlaps(_ other: IPv6Subnet) -> Bool { contains(other.network) || other.contains(network) }

    /// The subnet's first address after the network's (fd00::1 for fd00::/64): the default gateway, as
    /// libnetwork's IPAM picks it.
    public var firstHost: IPv6Address { network.advanced(by: 1) }

    /// The subnet's last address.
    public var last: IPv6Address {
        func hostMask(_ bits: Int) -> UInt64 { bits <= 0 ? .max : bits >= 64 ? 0 : UInt64.max >> UInt64(bits) }
        return IPv6Address(high: network.high | hostMask(prefixLength), low: network.low | hostMask(prefixLength - 64))
    }

    public var description: String { "\(network)/\(prefixLength)" }
}

extension IPv6Subnet: TextCodable {
    /// `TextCodable`'s requirement: a subnet named as such in errors.
    public init(parsing text: String) throws(ShoalError) {
        try self.init(parsing: text, label: "subnet")
    }
}
