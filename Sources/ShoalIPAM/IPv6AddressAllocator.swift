/// The addresses of one network's IPv6 subnet (`docker network create --ipv6 --subnet fd00::/64 [--gateway]
/// [--ip-range] [--aux-address]`, `docker run --ip6`). Lowest free first, as libnetwork's IPAM hands out IPv6
/// addresses of a local bridge network: fd00::2, fd00::3 … after the gateway fd00::1. The subnet router anycast
/// address (the subnet's first) is never handed out.
import ShoalCore

public struct IPv6AddressAllocator: Sendable, Hashable {
    public let subnet: IPv6Subnet
    /// `--ip-range`: dynamic addresses come only from here; `--ip6` may pick any address of the subnet.
    public let ipRange: IPv6Subnet?
    public let gateway: IPv6Address
    public let auxAddresses: [String: IPv6Address]
    private var reserved: Set<IPv6Address>
    private var inUse: Set<IPv6Address> = []

    public init(subnet: IPv6Subnet, ipRange: IPv6Subnet? = nil, gateway: IPv6Address? = nil,
                auxAddresses: [String: IPv6Address] = [:]) throws(ShoalError) {
        if let ipRange, !subnet.contains(ipRange) { throw IPAMError.noSubnetForRange(ipRange) }
        let gateway = gateway ?? subnet.firstHost
        guard subnet.contains(gateway) else { throw IPAMError.noSubnetForGateway(gateway) }
        guard gateway != subnet.network else { throw IPAMError.gatewayUnavailable(gateway) }
        self.subnet = subnet
        self.ipRange = ipRange
        self.gateway = gateway
        self.auxAddresses = auxAddresses
        reserved = [subnet.network, gateway]
        for (name, address) in auxAddresses.sorted(by: { $0.key < $1.key }) {
            guard subnet.contains(address) else { throw IPAMError.noSubnetForAux(address) }
            guard reserved.insert(address).inserted else { throw IPAMError.auxUnavailable(name, address) }
        }
    }

    /// The lowest free address of the dynamic range. The scan is bounded by what is taken, so it stays short
    /// however large the subnet.
    public mutating func allocate() throws(ShoalError) -> IPv6Address {
        let range = ipRange ?? subnet
        var candidate = range.network
        let last = range.last
        while reserved.contains(candidate) || inUse.contains(candidate) {
            guard candidate != last else { throw IPAMError.noAvailableAddresses }
            candidate = candidate.advanced(by: 1)
        }
        inUse.insert(candidate)
        return candidate
    }

    /// `--ip6`: takes `address` if it is in the subnet and free.
    public mutating func allocate(specific address: IPv6Address) throws(ShoalError) {
        guard subnet.contains(address) else { throw IPAMError.addressNotInSubnet(address) }
        guard !reserved.contains(address), inUse.insert(address).inserted else { throw IPAMError.addressInUse }
    }

    @discardableResult
    public mutating func release(_ address: IPv6Address) -> Bool { inUse.remove(address) != nil }

    public func isInUse(_ address: IPv6Address) -> Bool { inUse.contains(address) }
}
