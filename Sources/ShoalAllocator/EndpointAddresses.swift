import ShoalCore
import ShoalIPAM

/// The addresses of one swarm-scoped network, rebuilt from its allocation and the attachments the store holds:
/// the leader draws a new endpoint's address from it (round robin, as swarm asks libnetwork for, so an address
/// just given up is not handed out again at once) and releases it when the attachment goes.
public enum EndpointAddresses {
    /// An allocator for `subnet` (with its range, gateway and aux addresses) holding every address in `inUse`.
    public static func allocator(subnet: IPv4Subnet, gateway: IPv4Address, ipRange: IPv4Subnet?,
                                 auxAddresses: [String: IPv4Address], inUse: [IPv4Address])
        throws(ShoalError) -> AddressAllocator
    {
        var allocator = try AddressAllocator(subnet: subnet, ipRange: ipRange, gateway: .address(gateway),
                                             auxAddresses: auxAddresses, policy: .roundRobin)
        for address in inUse.sorted() { try? allocator.allocate(specific: address) }
        // Continue after the highest address in use, as the leader that handed them out would have.
        if let highest = inUse.max() { allocator.moveCursor(past: highest) }
        return allocator
    }

    /// `--ip X` when given (it must be free and inside the subnet), the next free address otherwise.
    public static func take(_ requested: String?, from allocator: inout AddressAllocator)
        throws(ShoalError) -> IPv4Address
    {
        guard let requested, !requested.isEmpty else { return try allocator.allocate() }
        let address = try IPv4Address(parsing: requested)
        try allocator.allocate(specific: address)
        return address
    }
}
