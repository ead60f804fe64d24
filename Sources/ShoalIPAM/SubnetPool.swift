/// The networks handed out on one address space (a host's bridge networks, or the cluster's overlays): the
/// pure core of `docker network create` choosing or checking a subnet.
import ShoalCore

public struct SubnetPool: Sendable, Hashable {
    /// Where automatic subnets come from, searched in order.
    public let pools: [AddressPoolSpec]
    /// Every network on this address space, automatic or user-chosen, in address order.
    public private(set) var allocated: [IPv4Subnet]

    public init(pools: [AddressPoolSpec] = AddressPoolSpec.localDefaults, allocated: [IPv4Subnet] = []) throws(ShoalError) {
        self.pools = pools
        self.allocated = []
        for subnet in allocated { try reserve(subnet) }
    }

    /// The first subnet, in pool order then address order, that overlaps no allocated network and none of
    /// `hostRoutes` (the host's existing routes and addresses, so a new bridge never shadows a LAN). First fit
    /// from the start every time: a released subnet is offered again at once, as libnetwork's allocator does today.
    /// Zero-length prefixes in `hostRoutes` (default routes) are ignored, as Docker ignores them.
    public mutating func allocate(avoiding hostRoutes: [IPv4Subnet] = []) throws(ShoalError) -> IPv4Subnet {
        let blockers = (allocated + hostRoutes.filter { $0.prefixLength > 0 }).sorted()
        for pool in pools {
            if let subnet = firstFree(in: pool, blockers: blockers) {
                insert(subnet)
                return subnet
            }
        }
        throw IPAMError.noAvailablePool
    }

    private func firstFree(in pool: AddressPoolSpec, blockers: [IPv4Subnet]) -> IPv4Subnet? {
        let step = UInt64(1) << UInt64(32 - pool.size)
        var candidate = UInt64(pool.base.network.value)
        let end = UInt64(pool.base.broadcast.value)
        while candidate <= end {
            let subnet = IPv4Subnet(containing: IPv4Address(UInt32(candidate)), prefixLength: pool.size)
            let conflicts = blockers.filter { $0.overlaps(subnet) }
            guard let furthest = conflicts.map({ UInt64($0.broadcast.value) }).max() else { return subnet }
            // Skip past every conflicting block, staying aligned to the pool's size.
            let next = max(furthest + 1, candidate + step)
            candidate = (next + step - 1) / step * step
        }
        return nil
    }

    /// Records a user-chosen subnet (`--subnet`). Host routes are not checked, as on Docker: a user may overlap
    /// the LAN deliberately.
    public mutating func reserve(_ subnet: IPv4Subnet) throws(ShoalError) {
        guard !allocated.contains(where: { $0.overlaps(subnet) }) else { throw IPAMError.poolOverlap }
        insert(subnet)
    }

    /// Forgets a network's subnet; idempotent (returns false when it was not allocated), so crash repair can replay.
    @discardableResult
    public mutating func release(_ subnet: IPv4Subnet) -> Bool {
        guard let index = allocated.firstIndex(of: subnet) else { return false }
        allocated.remove(at: index)
        return true
    }

    public func isAllocated(_ subnet: IPv4Subnet) -> Bool { allocated.contains(subnet) }

    private mutating func insert(_ subnet: IPv4Subnet) {
        let index = allocated.firstIndex { subnet < $0 } ?? allocated.endIndex
        allocated.insert(subnet, at: index)
    }
}

extension SubnetPool: Codable {
    private enum CodingKeys: String, CodingKey { case pools, allocated }

    /// Decoding re-checks that no two allocated networks overlap.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(pools: container.decode([AddressPoolSpec].self, forKey: .pools),
                      allocated: container.decode([IPv4Subnet].self, forKey: .allocated))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pools, forKey: .pools)
        try container.encode(allocated, forKey: .allocated)
    }
}
