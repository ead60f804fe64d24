/// The persisted form of an `AddressAllocator`: its configuration plus addresses in use as runs
/// ("172.18.0.2-172.18.0.9"), so a network with a thousand sequential containers is a few short strings.
import ShoalCore

extension AddressAllocator: Codable {
    private enum CodingKeys: String, CodingKey {
        case subnet, ipRange, gateway, auxAddresses, policy, inUse, cursor
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(subnet, forKey: .subnet)
        try container.encodeIfPresent(ipRange, forKey: .ipRange)
        try container.encodeIfPresent(gateway, forKey: .gateway)
        try container.encode(auxAddresses, forKey: .auxAddresses)
        try container.encode(policy, forKey: .policy)
        try container.encode(addressRuns, forKey: .inUse)
        try container.encodeIfPresent(cursor, forKey: .cursor)
    }

    /// Decoding rebuilds the reservations from the configuration and re-checks every address in use.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let gateway = try container.decodeIfPresent(IPv4Address.self, forKey: .gateway)
        try self.init(
            subnet: container.decode(IPv4Subnet.self, forKey: .subnet),
            ipRange: container.decodeIfPresent(IPv4Subnet.self, forKey: .ipRange),
            gateway: gateway.map(Gateway.address) ?? .none,
            auxAddresses: container.decode([String: IPv4Address].self, forKey: .auxAddresses),
            policy: container.decode(Policy.self, forKey: .policy))
        try restore(addressRuns: container.decode([String].self, forKey: .inUse),
                    cursor: container.decodeIfPresent(IPv4Address.self, forKey: .cursor))
    }
}
