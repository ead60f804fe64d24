/// Subnet pools: Docker's default order, avoidance of host routes, user subnets, exhaustion, persistence.
import Foundation
import Testing
import ShoalCore
import ShoalIPAM

@Suite struct SubnetPoolTests {
    @Test func defaultsComeInDockerOrder() throws {
        var pool = try SubnetPool()
        var handedOut: [IPv4Subnet] = []
        for _ in 0..<(15 + 16) { handedOut.append(try pool.allocate()) }
        #expect(handedOut.prefix(15) == ArraySlice((17...31).map { cidr("172.\($0).0.0/16") }))
        #expect(handedOut[15] == cidr("192.168.0.0/20"))
        #expect(handedOut[16] == cidr("192.168.16.0/20"))
        #expect(handedOut.last == cidr("192.168.240.0/20"))
        expectError("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network",
                    code: .unavailable) { _ = try pool.allocate() }
    }

    @Test func hostRoutesAreAvoided() throws {
        var pool = try SubnetPool()
        // docker0's range is taken by a LAN route; a VPN covers 172.18–172.19; the default route is ignored.
        let routes = [cidr("172.17.0.0/16"), cidr("172.18.0.0/15"), cidr("0.0.0.0/0"), cidr("172.21.4.0/24")]
        do { let got = try pool.allocate(avoiding: routes); #expect(got == cidr("172.20.0.0/16")) }
        do { let got = try pool.allocate(avoiding: routes); #expect(got == cidr("172.22.0.0/16")) }
        do { let got = try pool.allocate(); #expect(got == cidr("172.17.0.0/16")) }
    }

    @Test func avoidanceSkipsWithinASplitPool() throws {
        var pool = try SubnetPool(pools: [AddressPoolSpec(parsing: "base=10.10.0.0/16,size=24")])
        let routes = [cidr("10.10.0.128/25"), cidr("10.10.1.0/24"), cidr("10.10.2.7/32")]
        do { let got = try pool.allocate(avoiding: routes); #expect(got == cidr("10.10.3.0/24")) }
        do { let got = try pool.allocate(); #expect(got == cidr("10.10.0.0/24")) }
        do { let got = try pool.allocate(); #expect(got == cidr("10.10.1.0/24")) }
    }

    @Test func reserveRefusesOverlapAndAllocationSkipsReserved() throws {
        var pool = try SubnetPool()
        try pool.reserve(cidr("172.17.0.0/24"))
        expectError("Pool overlaps with other one on this address space", code: .conflict) {
            try pool.reserve(cidr("172.16.0.0/12"))
        }
        expectError("Pool overlaps with other one on this address space") { try pool.reserve(cidr("172.17.0.128/25")) }
        try pool.reserve(cidr("10.99.0.0/16"))
        do { let got = try pool.allocate(); #expect(got == cidr("172.18.0.0/16")) }
        expectError("Pool overlaps with other one on this address space") { try pool.reserve(cidr("172.18.7.0/24")) }
        #expect(pool.allocated == [cidr("10.99.0.0/16"), cidr("172.17.0.0/24"), cidr("172.18.0.0/16")])
    }

    @Test func releaseMakesTheSubnetAvailableAgain() throws {
        var pool = try SubnetPool()
        let first = try pool.allocate()
        _ = try pool.allocate()
        do { let ok = pool.release(first); #expect(ok) }
        do { let ok = pool.release(first); #expect(!ok) }
        do { let got = try pool.allocate(); #expect(got == first) }
        #expect(pool.isAllocated(first))
    }

    @Test func globalDefaultsAreSwarmsTenSlashEight() throws {
        var pool = try SubnetPool(pools: AddressPoolSpec.globalDefaults)
        try pool.reserve(cidr("10.0.0.0/24"))   // the ingress network
        do { let got = try pool.allocate(); #expect(got == cidr("10.0.1.0/24")) }
    }

    @Test func exhaustionOfAConfiguredPool() throws {
        var pool = try SubnetPool(pools: [AddressPoolSpec(parsing: "base=10.1.0.0/23,size=24")])
        _ = try pool.allocate()
        _ = try pool.allocate(avoiding: [])
        expectError("could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network") {
            _ = try pool.allocate()
        }
    }

    @Test func poolSpecParsing() throws {
        let spec = try AddressPoolSpec(parsing: "BASE=10.10.0.0/16,Size=24")
        #expect(spec.base == cidr("10.10.0.0/16") && spec.size == 24)
        #expect(spec.description == "base=10.10.0.0/16,size=24")
        expectError("invalid size value: \"x\" (must be integer)") { _ = try AddressPoolSpec(parsing: "base=10.0.0.0/8,size=x") }
        expectError("unexpected key 'foo' in 'foo=1'") { _ = try AddressPoolSpec(parsing: "base=10.0.0.0/8,foo=1") }
        expectError("invalid field 'size' must be a key=value pair") { _ = try AddressPoolSpec(parsing: "base=10.0.0.0/8,size") }
        expectError("invalid address pool 10.0.0.0/16: size 8 must be between the base's prefix length 16 and 32") {
            _ = try AddressPoolSpec(parsing: "base=10.0.0.0/16,size=8")
        }
        expectError("invalid default address pool \"base=10.0.0.0/8\": base and size are required") {
            _ = try AddressPoolSpec(parsing: "base=10.0.0.0/8")
        }
        expectError("invalid base pool 10.0.0.1/8: it should be 10.0.0.0/8") { _ = try AddressPoolSpec(parsing: "base=10.0.0.1/8,size=24") }
    }

    @Test func codableRoundTripKeepsAllocationsAndRechecksOverlap() throws {
        var pool = try SubnetPool()
        _ = try pool.allocate()
        try pool.reserve(cidr("10.5.0.0/16"))
        let copy = try roundTrip(pool)
        #expect(copy == pool)
        var next = copy
        do { let got = try next.allocate(); #expect(got == cidr("172.18.0.0/16")) }
        let corrupt = #"{"pools":[{"base":"10.0.0.0/8","size":24}],"allocated":["10.0.0.0/16","10.0.1.0/24"]}"#
        #expect(throws: ShoalError.self) { try JSONDecoder().decode(SubnetPool.self, from: Data(corrupt.utf8)) }
    }
}
