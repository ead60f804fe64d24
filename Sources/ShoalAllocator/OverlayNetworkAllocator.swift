import ShoalCore
import ShoalIPAM

/// What a `docker network create -d overlay` asks of the cluster's address space.
public struct OverlayRequest: Sendable, Equatable {
    /// `--subnet` (nil: one from the swarm's default address pools).
    public var subnet: String?
    public var gateway: String?
    public var ipRange: String?
    public var auxAddresses: [String: String]
    /// `-o com.docker.network.driver.overlay.vxlanid_list=N` (nil: the next free VNI).
    public var vni: UInt32?

    public init(subnet: String? = nil, gateway: String? = nil, ipRange: String? = nil,
                auxAddresses: [String: String] = [:], vni: UInt32? = nil) {
        self.subnet = subnet
        self.gateway = gateway
        self.ipRange = ipRange
        self.auxAddresses = auxAddresses
        self.vni = vni
    }
}

/// An overlay's share of the cluster: its subnet (with the gateway filled in, as libnetwork reports it), range,
/// aux addresses and VNI.
public struct OverlayAllocation: Sendable, Equatable {
    public var subnet: IPv4Subnet
    public var gateway: IPv4Address
    public var ipRange: IPv4Subnet?
    public var auxAddresses: [String: IPv4Address]
    public var vni: UInt32
}

/// The cluster's overlay subnets and VNIs: no two swarm-scoped networks share a subnet (or overlap) or a VNI.
/// Built from the networks the store holds, so the allocator of a new leader knows everything the old one handed
/// out. Pure: refusals carry swarmkit's and libnetwork's wording and are unit-tested.
public struct OverlayNetworkAllocator: Sendable {
    /// The option that names a network's VNI, as Docker shows it in `network inspect`.
    public static let vniOption = "com.docker.network.driver.overlay.vxlanid_list"

    private(set) var subnets: SubnetPool
    private(set) var vnis: VNIAllocator

    /// `pools` are the swarm's default address pools (`docker swarm init --default-addr-pool`); `existing` every
    /// swarm-scoped network's subnets and VNI.
    public init(pools: [AddressPoolSpec], existing: [(subnets: [IPv4Subnet], vni: UInt32)]) throws(ShoalError) {
        subnets = try SubnetPool(pools: pools)
        vnis = try VNIAllocator()
        for network in existing {
            for subnet in network.subnets where !subnets.isAllocated(subnet) { try? subnets.reserve(subnet) }
            if network.vni != 0 { try? vnis.reserve(network.vni) }
        }
        // Serial allocation goes on after the highest VNI in use, as it would have on the leader before.
        if let highest = vnis.vnisInUse.max() { vnis.moveCursor(past: highest) }
    }

    /// The pools and prefix length `docker swarm init` stored (`--default-addr-pool`,
    /// `--default-addr-pool-mask-length`).
    public static func pools(_ bases: [String], subnetSize: Int) throws(ShoalError) -> [AddressPoolSpec] {
        var pools: [AddressPoolSpec] = []
        for base in bases {
            pools.append(try AddressPoolSpec(base: try IPv4Subnet(parsing: base, label: "default address pool"),
                                             size: subnetSize))
        }
        return pools.isEmpty ? AddressPoolSpec.globalDefaults : pools
    }

    /// Checks the request as swarmkit's control API does, then reserves a subnet and a VNI. Nothing is kept when
    /// it throws.
    public mutating func allocate(_ request: OverlayRequest) throws(ShoalError) -> OverlayAllocation {
        let chosen = try request.subnet.map { text throws(ShoalError) in try Self.subnet(text) }
        let gateway = try request.gateway.map { text throws(ShoalError) in try Self.address(text, "gateway") }
        let range = try request.ipRange.map { text throws(ShoalError) in try Self.subnet(text, "range") }
        if let chosen {
            if let gateway, !chosen.contains(gateway) {
                throw Self.invalid("subnet \(chosen) does not contain gateway \(gateway)")
            }
            if let range, !chosen.contains(range) {
                throw Self.invalid("subnet \(chosen) does not contain range \(range)")
            }
        } else if gateway != nil || range != nil || !request.auxAddresses.isEmpty {
            // Docker's CLI says this before it calls the API; API clients get the same answer.
            throw ShoalError.invalidArgument("gateway, ip-range and aux-address need a subnet (--subnet)")
        }
        var aux: [String: IPv4Address] = [:]
        for (name, text) in request.auxAddresses { aux[name] = try Self.address(text, "aux-address") }

        var subnets = self.subnets
        var vnis = self.vnis
        let subnet: IPv4Subnet
        if let chosen {
            // libnetwork's ErrPoolOverlap is a ForbiddenError (403), as for local networks.
            guard !subnets.allocated.contains(where: { $0.overlaps(chosen) }) else {
                throw ShoalError.permissionDenied("Pool overlaps with other one on this address space")
            }
            try subnets.reserve(chosen)
            subnet = chosen
        } else {
            subnet = try subnets.allocate()
        }
        // The allocator checks gateway, range and aux addresses against each other (network address, clashes).
        let addresses = try AddressAllocator(subnet: subnet, ipRange: range,
                                             gateway: gateway.map { .address($0) } ?? .firstHost, auxAddresses: aux)
        let vni: UInt32
        if let asked = request.vni {
            try vnis.reserve(asked)
            vni = asked
        } else {
            vni = try vnis.allocate()
        }
        self.subnets = subnets
        self.vnis = vnis
        return OverlayAllocation(subnet: subnet, gateway: addresses.gateway ?? subnet.firstHost, ipRange: range,
                                 auxAddresses: aux, vni: vni)
    }

    /// `-o com.docker.network.driver.overlay.vxlanid_list=4097`: one VNI per subnet; Shoal's overlays have one.
    public static func requestedVNI(_ options: [String: String]) throws(ShoalError) -> UInt32? {
        guard let text = options[vniOption] else { return nil }
        let parts = text.split(separator: ",")
        guard parts.count == 1, let value = UInt32(parts[0].trimmingCharacters(in: .whitespaces)) else {
            throw ShoalError.invalidArgument("invalid \(vniOption) \(text): one VXLAN ID (1-16777215) per subnet")
        }
        return value
    }

    private static func invalid(_ text: String) -> ShoalError {
        .invalidArgument("rpc error: code = InvalidArgument desc = ipam configuration: \(text)")
    }

    private static func subnet(_ text: String, _ label: String = "subnet") throws(ShoalError) -> IPv4Subnet {
        do {
            return try IPv4Subnet(parsing: text, label: label)
        } catch {
            throw invalid("invalid \(label) \(text)")
        }
    }

    private static func address(_ text: String, _ label: String) throws(ShoalError) -> IPv4Address {
        do {
            return try IPv4Address(parsing: text)
        } catch {
            throw invalid("invalid \(label) \(text)")
        }
    }
}
