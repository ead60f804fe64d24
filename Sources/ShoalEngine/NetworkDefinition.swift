import Foundation
import ShoalCore
import ShoalIPAM
import ShoalModel

/// Checks a `docker network create` request the way dockerd and libnetwork check it, and turns it into a record.
/// Pure: no I/O, so every refusal is unit-tested.
enum NetworkDefinition {
    static func validate(_ request: NetworkCreateRequest, existing: [NetworkRecord]) throws -> NetworkRecord {
        let name = request.name
        guard !name.isEmpty else { throw ShoalError.invalidArgument("network name cannot be empty") }
        // libnetwork takes any name that is not blank (spaces included), as Docker 20.10 does.
        guard !name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ShoalError.invalidArgument("invalid name: \(name)")
        }
        if ["bridge", "host", "none", "default"].contains(name) && existing.contains(where: { $0.name == name }) {
            throw ShoalError.permissionDenied("\(name) is a pre-defined network and cannot be created")
        }
        if existing.contains(where: { $0.name == name }) {
            throw ShoalError.conflict("network with name \(name) already exists")
        }
        switch request.driver {
        case "bridge", "": break
        case "host", "null":
            throw ShoalError.permissionDenied("only one instance of \"\(request.driver)\" network is allowed")
        case "overlay":
            throw ShoalError.permissionDenied(
                "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.")
        default:
            throw ShoalError.notFound("plugin \"\(request.driver)\" not found")
        }
        guard request.ipamDriver == "default" || request.ipamDriver.isEmpty else {
            throw ShoalError.notFound("plugin \"\(request.ipamDriver)\" not found")
        }
        // libnetwork's checks of a local-scope driver's network, in its order.
        if request.ingress {
            throw ShoalError.permissionDenied("Ingress network can only be global scope network")
        }
        if request.scope == "swarm" {
            throw ShoalError.permissionDenied("cannot create a swarm scoped network when swarm is not active")
        }
        let (v4, v6) = (request.ipam.filter { !$0.isIPv6 }, request.ipam.filter(\.isIPv6))
        guard v4.count <= 1, v6.count <= 1 else {
            throw ShoalError.permissionDenied("bridge driver doesnt support multiple subnets")
        }
        for pool in v4 { try check(pool) }
        for pool in v6 { _ = try ipv6Allocator(pool) }
        if request.enableIPv6 && v6.isEmpty {
            throw ShoalError.notFound("could not find an available, non-overlapping IPv6 address pool among the "
                + "defaults to assign to the network")
        }

        let options = try BridgeOptions(request.options)
        let id = Identifier.random()
        let bridge = options.bridgeName ?? "br-" + id.prefix(12)
        guard !bridge.isEmpty, bridge.utf8.count <= 15, !bridge.contains("/"), !bridge.contains(" ") else {
            throw ShoalError.invalidArgument("invalid bridge name \(bridge): at most 15 characters, no '/' or spaces")
        }
        if let other = existing.first(where: { $0.bridgeName == bridge }) {
            throw ShoalError.permissionDenied("cannot create network \(id) (\(bridge)): conflicts with network "
                + "\(other.id) (\(bridge)): networks have same bridge name")
        }
        var record = NetworkRecord(
            id: id, name: name, driver: "bridge", created: Date(), isInternal: request.isInternal,
            attachable: request.attachable, labels: request.labels, options: request.options, ipam: v4 + v6,
            ipamOptions: request.ipamOptions, bridgeName: bridge, mtu: options.mtu)
        record.enableIPv6 = request.enableIPv6 ? true : nil
        record.requestedScope = request.scope.isEmpty ? nil : request.scope
        return record
    }

    /// `--subnet`, `--gateway`, `--ip-range`, `--aux-address` must be canonical and fit together.
    static func check(_ pool: IPAMPool) throws {
        let subnet = try IPv4Subnet(parsing: pool.subnet, label: "subnet")
        if let gateway = pool.gateway {
            let address = try IPv4Address(parsing: gateway)
            guard subnet.contains(address) else {
                throw ShoalError.invalidArgument("no matching subnet for gateway \(gateway)")
            }
        }
        if let range = pool.ipRange {
            let parsed = try IPv4Subnet(parsing: range, label: "ip-range")
            guard subnet.contains(parsed) else { throw ShoalError.invalidArgument("no matching subnet for range \(range)") }
        }
        for (_, aux) in pool.auxAddresses {
            let address = try IPv4Address(parsing: aux)
            guard subnet.contains(address) else {
                throw ShoalError.invalidArgument("no matching subnet for aux-address \(aux)")
            }
        }
        // The allocator makes the remaining checks (gateway or aux address taken twice, network address).
        _ = try AddressAllocator(
            subnet: subnet, ipRange: try pool.ipRange.map { try IPv4Subnet(parsing: $0, label: "ip-range") },
            gateway: try pool.gateway.map { .address(try IPv4Address(parsing: $0)) } ?? .firstHost,
            auxAddresses: try pool.auxAddresses.mapValues { try IPv4Address(parsing: $0) })
    }

    /// The IPv6 pool's addresses (`--subnet`, `--gateway`, `--ip-range`, `--aux-address` checked as for IPv4).
    static func ipv6Allocator(_ pool: IPAMPool) throws -> IPv6AddressAllocator {
        try IPv6AddressAllocator(
            subnet: try IPv6Subnet(parsing: pool.subnet, label: "subnet"),
            ipRange: try pool.ipRange.map { try IPv6Subnet(parsing: $0, label: "ip-range") },
            gateway: try pool.gateway.map { try IPv6Address(parsing: $0) },
            auxAddresses: try pool.auxAddresses.mapValues { try IPv6Address(parsing: $0) })
    }

    /// The pool with its gateway filled in (the subnet's first host, as libnetwork picks it).
    static func withGateway(_ pool: IPAMPool) throws -> IPAMPool {
        guard pool.gateway == nil else { return pool }
        var filled = pool
        filled.gateway = pool.isIPv6
            ? try IPv6Subnet(parsing: pool.subnet, label: "subnet").firstHost.description
            : try IPv4Subnet(parsing: pool.subnet, label: "subnet").firstHost.description
        return filled
    }
}
