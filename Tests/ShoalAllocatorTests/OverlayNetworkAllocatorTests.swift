import ShoalCore
import ShoalIPAM
import Testing
@testable import ShoalAllocator

/// The leader's overlay allocation: subnets from the swarm's pools, VNIs from 4096 up, never shared, rebuilt
/// from what the store holds; refusals worded as swarmkit and libnetwork word them.
@Suite struct OverlayNetworkAllocatorTests {
    let defaults = AddressPoolSpec.globalDefaults

    @Test func firstNetworksGetConsecutiveSubnetsAndVNIs() throws {
        var allocator = try OverlayNetworkAllocator(pools: defaults, existing: [])
        let first = try allocator.allocate(OverlayRequest())
        let second = try allocator.allocate(OverlayRequest())
        #expect(first.subnet.description == "10.0.0.0/24")
        #expect(first.gateway.description == "10.0.0.1")
        #expect(first.vni == 4096)
        #expect(second.subnet.description == "10.0.1.0/24")
        #expect(second.vni == 4097)
    }

    @Test func aNewLeaderRebuiltFromTheStoreHandsOutNothingTwice() throws {
        var old = try OverlayNetworkAllocator(pools: defaults, existing: [])
        var made: [(subnets: [IPv4Subnet], vni: UInt32)] = []
        for _ in 0..<5 {
            let allocation = try old.allocate(OverlayRequest())
            made.append(([allocation.subnet], allocation.vni))
        }
        // The network with VNI 4097 was removed before the failover.
        made.remove(at: 1)
        var new = try OverlayNetworkAllocator(pools: defaults, existing: made)
        let next = try new.allocate(OverlayRequest())
        #expect(!made.contains { $0.vni == next.vni })
        #expect(next.vni == 4101)  // serial: after the highest in use, not the one just freed
        #expect(!made.flatMap(\.subnets).contains { $0.overlaps(next.subnet) })
    }

    @Test func swarmInitPoolsAreHonoured() throws {
        let pools = try OverlayNetworkAllocator.pools(["10.20.0.0/16"], subnetSize: 26)
        var allocator = try OverlayNetworkAllocator(pools: pools, existing: [])
        #expect(try allocator.allocate(OverlayRequest()).subnet.description == "10.20.0.0/26")
        #expect(try allocator.allocate(OverlayRequest()).subnet.description == "10.20.0.64/26")
        #expect(try OverlayNetworkAllocator.pools([], subnetSize: 24) == AddressPoolSpec.globalDefaults)
    }

    @Test func chosenSubnetsGatewaysAndVNIs() throws {
        var allocator = try OverlayNetworkAllocator(pools: defaults, existing: [])
        let chosen = try allocator.allocate(OverlayRequest(subnet: "10.0.0.0/24", gateway: "10.0.0.254",
                                                           ipRange: "10.0.0.128/25",
                                                           auxAddresses: ["router": "10.0.0.2"], vni: 5000))
        #expect(chosen.gateway.description == "10.0.0.254")
        #expect(chosen.ipRange?.description == "10.0.0.128/25")
        #expect(chosen.vni == 5000)
        // The pool skips the subnet a user chose.
        #expect(try allocator.allocate(OverlayRequest()).subnet.description == "10.0.1.0/24")
    }

    @Test func refusalsLeaveNothingAllocated() throws {
        var allocator = try OverlayNetworkAllocator(pools: defaults, existing: [])
        _ = try allocator.allocate(OverlayRequest(subnet: "10.5.0.0/16"))
        let overlap = #expect(throws: ShoalError.self) {
            try allocator.allocate(OverlayRequest(subnet: "10.5.3.0/24"))
        }
        #expect(overlap?.message == "Pool overlaps with other one on this address space")
        #expect(overlap?.code == .permissionDenied)
        let gateway = #expect(throws: ShoalError.self) {
            try allocator.allocate(OverlayRequest(subnet: "10.6.0.0/24", gateway: "10.7.0.1"))
        }
        #expect(gateway?.message
            == "rpc error: code = InvalidArgument desc = ipam configuration: subnet 10.6.0.0/24 does not contain gateway 10.7.0.1")
        #expect(throws: ShoalError.self) {
            try allocator.allocate(OverlayRequest(subnet: "10.6.0.0/24", ipRange: "10.8.0.0/25"))
        }
        #expect(throws: ShoalError.self) { try allocator.allocate(OverlayRequest(subnet: "10.6.0.0/33")) }
        // A VNI already in use: the subnet it would have taken stays free.
        let first = try allocator.allocate(OverlayRequest())
        #expect(throws: ShoalError.self) {
            try allocator.allocate(OverlayRequest(subnet: "10.6.0.0/24", vni: first.vni))
        }
        #expect(try allocator.allocate(OverlayRequest(subnet: "10.6.0.0/24")).subnet.description == "10.6.0.0/24")
    }

    @Test func vniOptionIsOneNumber() throws {
        #expect(try OverlayNetworkAllocator.requestedVNI([:]) == nil)
        #expect(try OverlayNetworkAllocator.requestedVNI([OverlayNetworkAllocator.vniOption: "4242"]) == 4242)
        #expect(throws: ShoalError.self) {
            try OverlayNetworkAllocator.requestedVNI([OverlayNetworkAllocator.vniOption: "1,2"])
        }
        #expect(throws: ShoalError.self) {
            try OverlayNetworkAllocator.requestedVNI([OverlayNetworkAllocator.vniOption: "x"])
        }
    }

    @Test func endpointAddressesSkipGatewayAndInUseAndContinueAfterTheHighest() throws {
        let subnet = try IPv4Subnet(parsing: "10.0.1.0/24", label: "subnet")
        var addresses = try EndpointAddresses.allocator(
            subnet: subnet, gateway: IPv4Address(10, 0, 1, 1), ipRange: nil, auxAddresses: [:],
            inUse: [IPv4Address(10, 0, 1, 2), IPv4Address(10, 0, 1, 5)])
        #expect(try EndpointAddresses.take(nil, from: &addresses).description == "10.0.1.6")
        #expect(try EndpointAddresses.take("10.0.1.3", from: &addresses).description == "10.0.1.3")
        #expect(throws: ShoalError.self) { try EndpointAddresses.take("10.0.1.5", from: &addresses) }
        #expect(throws: ShoalError.self) { try EndpointAddresses.take("10.0.2.9", from: &addresses) }
        #expect(throws: ShoalError.self) { try EndpointAddresses.take("10.0.1.1", from: &addresses) }
    }
}
