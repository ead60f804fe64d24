import ShoalCore

/// What an endpoint takes its address from: an IPv4 or an IPv6 network's allocator.
public protocol EndpointAddressPool {
    associatedtype Address: TextCodable
    mutating func allocate() throws(ShoalError) -> Address
    mutating func allocate(specific address: Address) throws(ShoalError)
}

extension EndpointAddressPool {
    /// `--ip`/`--ip6` when given (it must be in the subnet and free), else the pool's next free address.
    public mutating func take(_ requested: String?) throws(ShoalError) -> Address {
        guard let requested, !requested.isEmpty else { return try allocate() }
        let address = try Address(parsing: requested)
        try allocate(specific: address)
        return address
    }
}

extension AddressAllocator: EndpointAddressPool {}
extension IPv6AddressAllocator: EndpointAddressPool {}
