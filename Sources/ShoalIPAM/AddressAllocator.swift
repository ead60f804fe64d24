/// The addresses of one network's IPv4 subnet: what `docker network create --subnet --ip-range --gateway
/// --aux-address` configures and `docker run --network n [--ip a]` draws from. Service VIPs use one of these on the
/// overlay's subnet too: round-robin is what swarm asks libnetwork for ("serial" allocation) for exactly that reason.
import ShoalCore

public struct AddressAllocator: Sendable, Hashable {
    /// How `allocate()` picks among free addresses.
    public enum Policy: String, Sendable, Hashable, Codable {
        /// Next free address after the last one handed out dynamically, wrapping to the start of the range
        /// (libnetwork's serial allocation). A released address is reused only once the cursor comes round
        /// again, so a stale ARP entry or DNS answer for a container just removed does not reach a new one.
        case roundRobin
        /// Lowest free address every time (libnetwork's default for local bridges): released addresses come back
        /// at once.
        case lowestFree
    }

    /// What the gateway is.
    public enum Gateway: Sendable, Hashable {
        /// The subnet's first host (172.18.0.1 for 172.18.0.0/16) — also when an ip-range is given, so the gateway
        /// never moves with the range.
        case firstHost
        /// `--gateway`.
        case address(IPv4Address)
        /// No gateway is reserved (networks whose driver has no gateway, e.g. an L2-only macvlan).
        case none
    }

    public let subnet: IPv4Subnet
    /// `--ip-range`: dynamic addresses come only from here. `--ip` may still pick any address of the subnet.
    public let ipRange: IPv4Subnet?
    public let gateway: IPv4Address?
    /// `--aux-address name=ip`: addresses the driver must never hand to a container.
    public let auxAddresses: [String: IPv4Address]
    public let policy: Policy
    /// Network, broadcast, gateway and aux addresses: never handed out, never released.
    private var reserved = RunSet()
    /// Addresses handed to endpoints.
    private var inUse = RunSet()
    /// The last address `allocate()` returned; the round-robin search starts after it.
    public private(set) var cursor: IPv4Address?

    public init(subnet: IPv4Subnet, ipRange: IPv4Subnet? = nil, gateway: Gateway = .firstHost,
                auxAddresses: [String: IPv4Address] = [:], policy: Policy = .roundRobin) throws(ShoalError) {
        if let ipRange, !subnet.contains(ipRange) { throw IPAMError.noSubnetForRange(ipRange) }
        self.subnet = subnet
        self.ipRange = ipRange
        self.auxAddresses = auxAddresses
        self.policy = policy
        if subnet.reservesNetworkAndBroadcast {
            reserved.insert(subnet.network.value)
            reserved.insert(subnet.broadcast.value)
        }
        switch gateway {
        case .none:
            self.gateway = nil
        case .firstHost:
            self.gateway = subnet.firstHost
        case .address(let address):
            guard subnet.contains(address) else { throw IPAMError.noSubnetForGateway(address) }
            self.gateway = address
        }
        if let gatewayAddress = self.gateway, !reserved.insert(gatewayAddress.value) {
            throw IPAMError.gatewayUnavailable(gatewayAddress)
        }
        // Sorted so which of two clashing aux addresses is reported does not depend on dictionary order.
        for (name, address) in auxAddresses.sorted(by: { $0.key < $1.key }) {
            guard subnet.contains(address) else { throw IPAMError.noSubnetForAux(address) }
            guard reserved.insert(address.value) else { throw IPAMError.auxUnavailable(name, address) }
        }
    }

    /// The addresses dynamic allocation draws from.
    public var dynamicRange: IPv4Subnet { ipRange ?? subnet }

    /// The next free address of the dynamic range under `policy`; never the network, broadcast, gateway or an aux
    /// address, never one in use. Throws "no available addresses on this pool" when the range is full.
    public mutating func allocate() throws(ShoalError) -> IPv4Address {
        let window = dynamicRange.valueRange
        let found = switch policy {
        case .roundRobin: RunSet.nextFree(in: window, after: cursor?.value, avoiding: [reserved, inUse])
        case .lowestFree: RunSet.firstFree(in: window, from: window.lowerBound, avoiding: [reserved, inUse])
        }
        guard let found else { throw IPAMError.noAvailableAddresses }
        inUse.insert(found)
        cursor = IPv4Address(found)
        return cursor!
    }

    /// Round robin goes on after `address` (an allocator rebuilt from the endpoints in a store continues where the
    /// highest address in use left it).
    public mutating func moveCursor(past address: IPv4Address) { cursor = address }

    /// `--ip`: takes `address` if it is in the subnet (inside or outside the ip-range, as on Docker) and free.
    /// Does not move the round-robin cursor.
    public mutating func allocate(specific address: IPv4Address) throws(ShoalError) {
        guard subnet.contains(address) else { throw IPAMError.addressNotInSubnet(address) }
        guard !reserved.contains(address.value), inUse.insert(address.value) else { throw IPAMError.addressInUse }
    }

    /// Frees an address handed out before. Idempotent: returns false if it was not in use (reserved addresses are
    /// never in use, so they cannot be released by mistake).
    @discardableResult
    public mutating func release(_ address: IPv4Address) -> Bool {
        inUse.remove(address.value)
    }

    public func isInUse(_ address: IPv4Address) -> Bool { inUse.contains(address.value) }

    /// Whether `address` is the network, broadcast, gateway or an aux address.
    public func isReserved(_ address: IPv4Address) -> Bool { reserved.contains(address.value) }

    /// Addresses in use, ascending.
    public var addressesInUse: [IPv4Address] { inUse.values.map(IPv4Address.init) }

    public var inUseCount: UInt64 { inUse.count }

    /// How many more addresses `allocate()` can hand out.
    public var availableCount: UInt64 {
        let window = dynamicRange.valueRange
        return dynamicRange.addressCount - reserved.count(in: window) - inUse.count(in: window)
    }

    var addressRuns: [String] { inUse.encodedRuns { IPv4Address($0).description } }

    mutating func restore(addressRuns: [String], cursor: IPv4Address?) throws(ShoalError) {
        let restored = try RunSet(encodedRuns: addressRuns) { text throws(ShoalError) in try IPv4Address(parsing: text).value }
        for run in restored.runs {
            guard subnet.contains(IPv4Address(run.lowerBound)), subnet.contains(IPv4Address(run.upperBound)),
                  !reserved.intersects(run)
            else { throw IPAMError.corruptState("addresses \(IPv4Address(run.lowerBound))-\(IPv4Address(run.upperBound)) are outside \(subnet) or reserved") }
        }
        inUse = restored
        self.cursor = cursor
    }
}
