import ShoalCore
import ShoalIPAM
import ShoalModel
import ShoalNetwork

// An endpoint's addresses beyond its IPv4 one: `--ip6` and the network's IPv6 pool, `--link-local-ip`, and
// Docker's checks of user-chosen addresses.
extension NetworkService {
    /// dockerd's checks of `--ip`/`--ip6`/`--link-local-ip` before an endpoint is made: parsable, and a chosen
    /// address only on a user network whose subnet of that family was given by the user; then libnetwork's check
    /// that the address is in that subnet.
    func checkAddresses(_ request: EndpointRequest, on network: NetworkRecord) throws {
        let linkLocal = request.linkLocalIPs ?? []
        if linkLocal.contains(where: { (try? IPAddress(parsing: $0)) == nil }) {
            throw ShoalError.invalidArgument("Invalid link-local IP address: [\(linkLocal.joined(separator: " "))]")
        }
        let ipv4 = request.ipv4Address.flatMap { $0.isEmpty ? nil : $0 }
        let ipv6 = request.ipv6Address.flatMap { $0.isEmpty ? nil : $0 }
        guard ipv4 != nil || ipv6 != nil else { return }
        if network.isDefaultBridge {
            throw ShoalError.invalidArgument("user specified IP address is supported on user defined networks only")
        }
        guard !network.isSwarmScoped else { return }
        if (ipv4 != nil && (network.ipv4Pool == nil || network.autoIPv4Pool == true))
            || (ipv6 != nil && network.ipv6Pool == nil) {
            throw ShoalError.invalidArgument(
                "user specified IP address is supported only when connecting to networks with user configured subnets")
        }
        if let ipv4 {
            let address = try IPv4Address(parsing: ipv4)
            if let subnet = network.ipv4Pool.flatMap({ try? IPv4Subnet(parsing: $0.subnet, label: "subnet") }),
               !subnet.contains(address) {
                throw ShoalError.invalidArgument(
                    "Invalid address \(ipv4): It does not belong to any of this network's subnets")
            }
        }
        // As in Docker, `--ip6` on a network with an IPv6 subnet but without `--ipv6` is not used at all.
        if let ipv6, network.ipv6Enabled {
            let address = try IPv6Address(parsing: ipv6)
            if let subnet = network.ipv6Pool.flatMap({ try? IPv6Subnet(parsing: $0.subnet, label: "subnet") }),
               !subnet.contains(address) {
                throw ShoalError.invalidArgument(
                    "Invalid address \(ipv6): It does not belong to any of this network's subnets")
            }
        }
    }

    /// The endpoint's IPv6 address on an IPv6 network: `--ip6`, else the lowest free one.
    func leaseIPv6(_ network: NetworkRecord, request: EndpointRequest) throws -> IPv6Assignment? {
        guard network.ipv6Enabled, var allocator = addresses6[network.id] else { return nil }
        let address = try allocator.take(request.ipv6Address)
        addresses6[network.id] = allocator
        return IPv6Assignment(address: address, prefixLength: allocator.subnet.prefixLength)
    }

    /// The IPv6 gateway of a network's endpoints (nil without IPv6).
    func ipv6Gateway(_ network: NetworkRecord) -> IPv6Address? { addresses6[network.id]?.gateway }

    /// `--link-local-ip` addresses as parsed (checked before: unparsable ones were refused).
    func linkLocalAddresses(_ request: EndpointRequest) -> [IPAddress] {
        (request.linkLocalIPs ?? []).compactMap { try? IPAddress(parsing: $0) }
    }

    /// Marks a restored endpoint's IPv6 address taken again.
    func reclaimIPv6(_ endpoint: EndpointState) {
        guard let text = endpoint.ipv6Address, let address = try? IPv6Address(parsing: text) else { return }
        try? addresses6[endpoint.networkID]?.allocate(specific: address)
    }
}
