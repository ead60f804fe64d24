/// An IPv4 address together with the prefix of its network: "172.18.0.5/16", the form `ip addr add` takes and
/// Docker reports as an endpoint's IPv4Address.
import ShoalCore

public struct IPv4Interface: Sendable, Hashable, CustomStringConvertible {
    public let address: IPv4Address
    public let subnet: IPv4Subnet

    /// `address` must be inside `subnet`.
    public init(address: IPv4Address, subnet: IPv4Subnet) throws(ShoalError) {
        guard subnet.contains(address) else { throw IPAMError.addressNotInSubnet(address) }
        self.address = address
        self.subnet = subnet
    }

    /// Parses "a.b.c.d/n"; host bits are kept in `address`. Errors read as Go's `net.ParseCIDR`.
    public init(parsing text: String) throws(ShoalError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2,
              let value = IPv4Address.parseValue(parts[0]),
              !parts[1].isEmpty, parts[1].utf8.count <= 2,
              parts[1].utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              !(parts[1].utf8.count == 2 && parts[1].utf8.first == UInt8(ascii: "0")),
              let length = Int(parts[1]), (0...32).contains(length)
        else { throw IPAMError.invalidCIDR(text) }
        address = IPv4Address(value)
        subnet = IPv4Subnet(containing: address, prefixLength: length)
    }

    public var description: String { "\(address)/\(subnet.prefixLength)" }
}

extension IPv4Interface: TextCodable {}
