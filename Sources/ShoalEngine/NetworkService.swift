import Foundation
import Logging
import ShoalCore
import ShoalDNS
import ShoalIPAM
import ShoalModel
import ShoalNFTables
import ShoalNetwork

/// How the daemon's networks are laid out (dockerd's `--bridge`, `--bip`, `--default-address-pool`, `--dns`).
public struct NetworkOptions: Sendable {
    /// The default bridge's Linux name.
    public var defaultBridgeName: String = "shoal0"
    /// The default bridge's gateway and prefix (`--bip 172.17.0.1/16`); chosen from the pools when nil.
    public var defaultBridgeAddress: String? = nil
    /// Pools user networks (and the default bridge, without `--bip`) take their subnets from.
    public var pools: [AddressPoolSpec] = AddressPoolSpec.localDefaults
    /// Where network namespaces are pinned (`<exec-root>/netns`).
    public var sandboxDirectory: String
    /// The daemon's nftables table.
    public var firewallTable: String
    /// Upstream resolvers the embedded DNS forwards to (`--dns`); the host's when empty.
    public var upstreamDNS: [String] = []
    /// `--userns-remap`: a remapped container's sandbox belongs to a user namespace of this mapping.
    public var idMapping: IDMapping? = nil

    public init(sandboxDirectory: String, firewallTable: String) {
        self.sandboxDirectory = sandboxDirectory
        self.firewallTable = firewallTable
    }
}

/// Networks on this host and every container's attachment to them: records in SQLite, subnets and addresses
/// from IPAM, bridges and sandboxes through ShoalNetwork, the DNS table the embedded servers answer from, and
/// published ports in the daemon's nftables table. Addresses in use are rebuilt from the running containers'
/// endpoints at start, so there is no second copy that could drift.
public actor NetworkService {
    let store: EngineStore
    let dataplane: BridgeDataplane
    /// The host side of each driver (bridge, overlay, host, null).
    let drivers: [String: any NetworkDriver]
    let firewall: HostFirewall
    let events: EventBus
    let options: NetworkOptions
    let logger: Logger
    /// Every endpoint with a name on a user network (this host's and, on overlays, other hosts'): each sandbox's
    /// DNS server answers from its records, and overlays get their peer entries from it.
    var endpoints: EndpointTable
    /// Each overlay sandbox's service balancer (its VIPs over their tasks), kept in step with `endpoints`.
    let balancers: BalancerSync
    /// The routing mesh's table in the ingress sandbox (NetworkService+Ingress), kept in step with `endpoints`.
    let ingressSync: NamespaceRulesSync<IngressRuleset>
    /// The ingress sandbox is being made.
    var ingressPending = false
    /// This host's swarm address, where `shoal.publish.address=internal` services publish.
    var ingressUnderlay: IPv4Address?
    public var dnsTable: DNSRecordTable { endpoints.dns }
    /// The swarm, when this host is part of one: where overlays and their endpoints' addresses come from.
    var cluster: (any ClusterNetworks)?

    var networks: [String: NetworkRecord] = [:]
    var subnets: SubnetPool
    var addresses: [String: AddressAllocator] = [:]
    /// The IPv6 addresses of the networks with `--ipv6`, by network ID.
    var addresses6: [String: IPv6AddressAllocator] = [:]
    var hostPorts: PortAllocator
    /// Running containers' sandboxes, by container ID.
    var sandboxes: [String: LiveSandbox] = [:]
    /// The service tasks' containers that do not serve (not running yet, not healthy yet when they have a health
    /// check, or being stopped): their endpoints here do not answer to their service's names.
    var heldBack: Set<String> = []

    public init(store: EngineStore, events: EventBus, options: NetworkOptions,
                logger: Logger = Logger(label: "shoal.network")) throws {
        self.store = store
        self.events = events
        self.options = options
        self.logger = logger
        dataplane = try BridgeDataplane()
        drivers = NetworkDrivers.all(dataplane)
        endpoints = EndpointTable(dns: DNSRecordTable(), dataplane: dataplane, logger: logger)
        balancers = BalancerSync(logger: logger)
        ingressSync = NamespaceRulesSync(logger: logger, what: "routing mesh") { ruleset, path in
            try await IngressMesh.apply(ruleset, inNetns: path)
        }
        firewall = HostFirewall(table: options.firewallTable)
        subnets = try SubnetPool(pools: options.pools)
        hostPorts = try PortAllocator()
        try FileManager.default.createDirectory(atPath: options.sandboxDirectory, withIntermediateDirectories: true)
    }

    /// Loads the networks, makes the predefined ones (`bridge`, `host`, `none`) on first start, brings every
    /// bridge back and installs the firewall table. Containers are restored afterwards (`restore(_:)`).
    public func start() async throws {
        for record in try store.networks() {
            networks[record.id] = record
            for pool in record.ipam { _ = try? reserveSubnet(pool, network: record) }
        }
        if network(named: "none") == nil { try createPredefined(name: "none", driver: "null") }
        if network(named: "host") == nil { try createPredefined(name: "host", driver: "host") }
        if network(named: "bridge") == nil { try createDefaultBridge() }
        // Overlays come back with the containers that use them (restore), once the swarm is known.
        for record in networks.values where record.hasEndpoints && !record.isSwarmScoped {
            try driver(record).ensure(.bridge(try bridgeSettings(record)))
            try enableForwarding(record)
        }
        try await applyFirewall()
    }

    // MARK: queries

    public func list() -> [NetworkView] {
        networks.values.sorted { $0.created < $1.created }.map(view)
    }

    public func inspect(_ ref: String) throws -> NetworkView { view(try resolve(ref)) }

    /// By full name, full ID or unique ID prefix, as Docker resolves networks.
    func resolve(_ ref: String) throws -> NetworkRecord {
        try NetworkReference.resolve(ref, in: networks.values, name: \.name, id: \.id)
    }

    func network(named name: String) -> NetworkRecord? { networks.values.first { $0.name == name } }

    func view(_ record: NetworkRecord) -> NetworkView {
        var containers: [NetworkContainerView] = []
        for (id, sandbox) in sandboxes {
            for endpoint in sandbox.allEndpoints where endpoint.networkID == record.id {
                // Docker lists a container's docker_gwbridge endpoint as `gateway_<short ID>`.
                let gateway = endpoint.endpointID == sandbox.gatewayEndpoint?.endpointID
                containers.append(NetworkContainerView(
                    containerID: gateway ? "gateway_" + id.prefix(12) : id,
                    name: gateway ? "gateway_" + id.prefix(12) : sandbox.containerName, endpointID: endpoint.endpointID,
                    macAddress: endpoint.macAddress,
                    ipv4Address: "\(endpoint.ipv4Address)/\(endpoint.prefixLength)",
                    ipv6Address: endpoint.ipv6CIDR))
            }
        }
        return NetworkView(record: record, containers: containers.sorted { $0.name < $1.name })
    }

    // MARK: create, remove, prune

    /// `docker network create`. Returns the record and Docker's warning text (empty).
    public func create(_ request: NetworkCreateRequest) async throws -> NetworkRecord {
        let record = try NetworkDefinition.validate(request, existing: Array(networks.values))
        // libnetwork's bridge driver makes a bridge of another name only when it is not to be the default one.
        if let bridge = record.bridgeName, bridge != "docker0",
           BridgeOptions.flag(record.options, BridgeOptions.defaultBridge, default: false),
           !dataplane.linkExists(bridge) {
            throw ShoalError.permissionDenied("bridge device with non default name \(bridge) must be created manually")
        }
        var resolved = record
        var reserved: [IPv4Subnet] = []
        do {
            for pool in record.ipam {
                if let subnet = try reserveSubnet(pool, network: record) { reserved.append(subnet) }
            }
            // No IPv4 subnet given: one from the pools, listed after the given ones (as Docker lists it).
            if record.ipv4Pool == nil {
                let pool = try allocatePool(for: record)
                resolved.ipam.append(pool)
                reserved.append(try IPv4Subnet(parsing: pool.subnet, label: "subnet"))
                resolved.autoIPv4Pool = true
            }
            resolved.ipam = try resolved.ipam.map(NetworkDefinition.withGateway)
            try makeAllocator(resolved)
            try driver(resolved).ensure(.bridge(try bridgeSettings(resolved)))
            try enableForwarding(resolved)
            networks[resolved.id] = resolved
            try await applyFirewall()
            try store.upsert(resolved)
        } catch {
            networks[resolved.id] = nil
            addresses[resolved.id] = nil
            addresses6[resolved.id] = nil
            for subnet in reserved { _ = subnets.release(subnet) }
            if let network = try? bridgeSettings(resolved) { try? driver(resolved).remove(.bridge(network)) }
            try? await applyFirewall()
            throw error
        }
        events.publish(EngineEvent(kind: .network, action: "create", actorID: resolved.id,
                                   attributes: ["name": resolved.name, "type": resolved.driver]))
        return resolved
    }

    /// `docker network rm`: refused while a container is attached; predefined networks are never removed.
    public func remove(_ ref: String) async throws {
        let record = try resolve(ref)
        if record.isPredefined {
            throw ShoalError.permissionDenied("\(record.name) is a pre-defined network and cannot be removed")
        }
        if sandboxes.values.contains(where: { $0.allEndpoints.contains { $0.networkID == record.id } }) {
            throw ShoalError.permissionDenied(
                "error while removing network: network \(record.name) id \(record.id) has active endpoints")
        }
        let bridge = try? bridgeSettings(record)
        try store.deleteNetwork(id: record.id)
        networks[record.id] = nil
        addresses[record.id] = nil
        addresses6[record.id] = nil
        for pool in record.ipam {
            if let subnet = try? IPv4Subnet(parsing: pool.subnet, label: "subnet") { _ = subnets.release(subnet) }
        }
        if let bridge { try? driver(record).remove(.bridge(bridge)) }
        try? await applyFirewall()
        events.publish(EngineEvent(kind: .network, action: "destroy", actorID: record.id,
                                   attributes: ["name": record.name, "type": record.driver]))
    }

    /// `docker network prune`: user networks no container uses (stopped ones included, as in Docker).
    public func prune(labelFilter: @Sendable (NetworkRecord) -> Bool) async -> [String] {
        let inUse = Set(sandboxes.values.flatMap { $0.allEndpoints.map(\.networkID) })
        var removed: [String] = []
        for record in networks.values.sorted(by: { $0.created < $1.created })
        where !record.isPredefined && !inUse.contains(record.id) && labelFilter(record) {
            do {
                try await remove(record.id)
                removed.append(record.name)
            } catch {
                logger.info("prune kept \(record.name): \(error)")
            }
        }
        return removed
    }

    // MARK: helpers

    private func createPredefined(name: String, driver: String) throws {
        let record = NetworkRecord(id: Identifier.random(), name: name, driver: driver, created: Date(),
                                   isPredefined: true)
        try store.upsert(record)
        networks[record.id] = record
    }

    private func createDefaultBridge() throws {
        var pool: IPAMPool
        if let bip = options.defaultBridgeAddress {
            let interface = try IPv4Interface(parsing: bip)
            pool = IPAMPool(subnet: interface.subnet.description, gateway: interface.address.description)
        } else {
            let subnet = try subnets.allocate(avoiding: dataplane.hostRoutes())
            _ = subnets.release(subnet)
            pool = IPAMPool(subnet: subnet.description)
        }
        var record = NetworkRecord(
            id: Identifier.random(), name: "bridge", driver: "bridge", created: Date(),
            options: ["com.docker.network.bridge.default_bridge": "true",
                      "com.docker.network.bridge.enable_icc": "true",
                      "com.docker.network.bridge.enable_ip_masquerade": "true",
                      "com.docker.network.bridge.host_binding_ipv4": "0.0.0.0",
                      "com.docker.network.bridge.name": options.defaultBridgeName,
                      "com.docker.network.driver.mtu": "1500"],
            ipam: [pool], isPredefined: true, bridgeName: options.defaultBridgeName)
        record.ipam = try record.ipam.map(NetworkDefinition.withGateway)
        try reserveSubnet(record.ipam[0], network: record)
        try store.upsert(record)
        networks[record.id] = record
    }

    /// A subnet from the pools that overlaps no other network and no route on the host.
    private func allocatePool(for record: NetworkRecord) throws -> IPAMPool {
        let subnet = try subnets.allocate(avoiding: dataplane.hostRoutes())
        return IPAMPool(subnet: subnet.description)
    }

    /// Refuses a subnet that overlaps another network's; an IPv4 one from the pools is marked taken there
    /// (returned, for the caller to give back on failure).
    @discardableResult
    func reserveSubnet(_ pool: IPAMPool, network: NetworkRecord) throws -> IPv4Subnet? {
        if pool.isIPv6 {
            let subnet = try IPv6Subnet(parsing: pool.subnet, label: "subnet")
            for other in networks.values where other.id != network.id {
                if let taken = other.ipv6Pool.flatMap({ try? IPv6Subnet(parsing: $0.subnet, label: "subnet") }),
                   taken.overlaps(subnet) {
                    throw ShoalError.permissionDenied("Pool overlaps with other one on this address space")
                }
            }
            return nil
        }
        let subnet = try IPv4Subnet(parsing: pool.subnet, label: "subnet")
        for other in networks.values where other.id != network.id {
            for otherPool in other.ipam where !otherPool.isIPv6 {
                if let taken = try? IPv4Subnet(parsing: otherPool.subnet, label: "subnet"), taken.overlaps(subnet) {
                    throw ShoalError.permissionDenied("Pool overlaps with other one on this address space")
                }
            }
        }
        if subnets.pools.contains(where: { $0.base.contains(subnet) }) {
            if !subnets.isAllocated(subnet) { try subnets.reserve(subnet) }
        }
        return subnet
    }

    func makeAllocator(_ record: NetworkRecord) throws {
        guard record.hasEndpoints, let pool = record.ipv4Pool else { return }
        if record.ipv6Enabled, let pool6 = record.ipv6Pool {
            addresses6[record.id] = try NetworkDefinition.ipv6Allocator(pool6)
        }
        let subnet = try IPv4Subnet(parsing: pool.subnet, label: "subnet")
        let range = try pool.ipRange.map { try IPv4Subnet(parsing: $0, label: "ip-range") }
        let gateway = try pool.gateway.map { try IPv4Address(parsing: $0) }
        let aux = try pool.auxAddresses.mapValues { try IPv4Address(parsing: $0) }
        addresses[record.id] = try AddressAllocator(
            subnet: subnet, ipRange: range, gateway: gateway.map { .address($0) } ?? .firstHost,
            auxAddresses: aux, policy: .lowestFree)
    }

    /// The host side of the network's driver.
    func driver(_ record: NetworkRecord) throws -> any NetworkDriver {
        guard let driver = drivers[record.driver] else { throw ShoalError.notFound("plugin \"\(record.driver)\" not found") }
        return driver
    }

    func bridgeSettings(_ record: NetworkRecord) throws -> BridgeSettings {
        guard let pool = record.ipv4Pool, let name = record.bridgeName else {
            throw ShoalError.internalError("network \(record.name) has no bridge")
        }
        let subnet = try IPv4Subnet(parsing: pool.subnet, label: "subnet")
        if addresses[record.id] == nil { try makeAllocator(record) }
        let gateway = try pool.gateway.map { try IPv4Address(parsing: $0) } ?? subnet.firstHost
        let gateway6 = addresses6[record.id].map {
            IPv6Assignment(address: $0.gateway, prefixLength: $0.subnet.prefixLength)
        }
        return BridgeSettings(name: name, gateway: gateway, subnet: subnet, mtu: record.mtu, ipv6Gateway: gateway6)
    }

    /// `net.ipv4.ip_forward=1` for a network with a way out, and IPv6 forwarding for an IPv6 one (as Docker's
    /// bridge driver sets both).
    func enableForwarding(_ record: NetworkRecord) throws {
        guard !record.isInternal else { return }
        try Sysctl.set("net.ipv4.ip_forward", "1")
        if record.ipv6Enabled {
            try Sysctl.set("net.ipv6.conf.default.forwarding", "1")
            try Sysctl.set("net.ipv6.conf.all.forwarding", "1")
        }
    }

    /// Renders and installs the daemon's nftables table from the networks and the running containers' ports.
    func applyFirewall() async throws {
        let rules = networks.values.filter { $0.hasEndpoints && !$0.isSwarmScoped }.sorted { $0.created < $1.created }
            .compactMap {
            record -> BridgeNetworkRules? in
            guard let bridge = record.bridgeName, let subnet = record.ipv4Pool?.subnet else { return nil }
            return BridgeNetworkRules(
                bridge: bridge, subnet: subnet, isInternal: record.isInternal,
                masquerade: BridgeOptions.flag(record.options, BridgeOptions.masquerade, default: true),
                interContainer: BridgeOptions.flag(record.options, BridgeOptions.interContainer, default: true),
                subnet6: record.ipv6Enabled ? record.ipv6Pool?.subnet : nil)
        }
        let publications = sandboxes.values.flatMap(\.publications)
        try await firewall.apply(networks: rules, publications: publications)
    }
}
