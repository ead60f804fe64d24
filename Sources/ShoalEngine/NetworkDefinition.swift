import Foundation
import ShoalCore
import ShoalIPAM
import ShoalModel

/// Checks a `docker network create` request the way dockerd and libnetwork check it, and turns it into a record.
/// Pure: no I/O, so every refusal is unit-tested.
enum NetworkDefinition {
    static let bridgeNameOption = "com.docker.network.bridge.name"
    static let mtuOption = "com.docker.network.driver.mtu"

    static func validate(_ request: NetworkCreateRequest, existing: [NetworkRecord]) throws -> NetworkRecord {
        let name = request.name
        guard !name.isEmpty else { throw ShoalError.invalidArgument("network name cannot be empty") }
        guard isValidNetworkName(name) else {
            throw ShoalError.invalidArgument("invalid network name \"\(name)\": it must match [a-zA-Z0-9][a-zA-Z0-9_.-]*")
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
        if request.enableIPv6 {
            throw ShoalError.invalidArgument("IPv6 networks are not supported yet")
        }
        guard request.ipam.count <= 1 else {
            throw ShoalError.invalidArgument("bridge networks take one IPv4 subnet (got \(request.ipam.count))")
        }
        for pool in request.ipam { try check(pool) }

        var mtu: Int? = nil
        if let text = request.options[mtuOption] {
            guard let value = Int(text), value >= 68, value <= 65535 else {
                throw ShoalError.invalidArgument("invalid MTU number: \(text)")
            }
            mtu = value
        }
        let id = Identifier.random()
        let bridge = request.options[bridgeNameOption] ?? "br-" + id.prefix(12)
        guard !bridge.isEmpty, bridge.utf8.count <= 15, !bridge.contains("/"), !bridge.contains(" ") else {
            throw ShoalError.invalidArgument("invalid bridge name \(bridge): at most 15 characters, no '/' or spaces")
        }
        if existing.contains(where: { $0.bridgeName == bridge }) {
            throw ShoalError.conflict("bridge name \(bridge) is already used by another network")
        }
        return NetworkRecord(
            id: id, name: name, driver: "bridge", created: Date(), isInternal: request.isInternal,
            attachable: request.attachable, labels: request.labels, options: request.options, ipam: request.ipam,
            ipamOptions: request.ipamOptions, bridgeName: bridge, mtu: mtu)
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

    /// The pool with its gateway filled in (the subnet's first host, as libnetwork picks it).
    static func withGateway(_ pool: IPAMPool) throws -> IPAMPool {
        guard pool.gateway == nil else { return pool }
        var filled = pool
        filled.gateway = try IPv4Subnet(parsing: pool.subnet, label: "subnet").firstHost.description
        return filled
    }

    static func isValidNetworkName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, isAlnum(first) else { return false }
        return bytes.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlnum(_ c: UInt8) -> Bool {
        (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c)
    }
}
