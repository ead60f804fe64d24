/// Per-network address allocation: reservations, round-robin reuse, ip-range, `--ip`, exhaustion, persistence.
import Foundation
import Testing
import ShoalCore
import ShoalIPAM

@Suite struct AddressAllocatorTests {
    @Test func defaultsReserveNetworkBroadcastAndFirstHostGateway() throws {
        var allocator = try AddressAllocator(subnet: cidr("172.18.0.0/16"))
        #expect(allocator.gateway == ip("172.18.0.1"))
        do { let got = try allocator.allocate(); #expect(got == ip("172.18.0.2")) }
        do { let got = try allocator.allocate(); #expect(got == ip("172.18.0.3")) }
        #expect(allocator.isReserved(ip("172.18.0.0")) && allocator.isReserved(ip("172.18.255.255")))
        #expect(allocator.availableCount == 65536 - 3 - 2)
    }

    @Test func slash30HasExactlyOneContainerAddress() throws {
        var allocator = try AddressAllocator(subnet: cidr("10.0.0.0/30"))
        do { let got = try allocator.allocate(); #expect(got == ip("10.0.0.2")) }
        expectError("no available addresses on this pool", code: .unavailable) { _ = try allocator.allocate() }
        do { let ok = allocator.release(ip("10.0.0.2")); #expect(ok) }
        do { let got = try allocator.allocate(); #expect(got == ip("10.0.0.2")) }
    }

    @Test func roundRobinReusesReleasedAddressesOnlyAfterWrapping() throws {
        var allocator = try AddressAllocator(subnet: cidr("10.0.0.0/29"))   // hosts .2–.6 after the gateway
        let all = try (0..<5).map { _ in try allocator.allocate() }
        #expect(all == (2...6).map { ip("10.0.0.\($0)") })
        allocator.release(ip("10.0.0.3"))
        allocator.release(ip("10.0.0.5"))
        #expect(try allocator.allocate() == ip("10.0.0.3"))   // wraps: nothing free after .6
        do { let got = try allocator.allocate(); #expect(got == ip("10.0.0.5")) }
        allocator.release(ip("10.0.0.2"))
        allocator.release(ip("10.0.0.6"))
        #expect(try allocator.allocate() == ip("10.0.0.6"))   // after the cursor (.5) before wrapping to .2
        do { let got = try allocator.allocate(); #expect(got == ip("10.0.0.2")) }
    }

    @Test func lowestFreeReusesAtOnce() throws {
        var allocator = try AddressAllocator(subnet: cidr("10.0.0.0/24"), policy: .lowestFree)
        _ = try allocator.allocate()
        _ = try allocator.allocate()
        allocator.release(ip("10.0.0.2"))
        do { let got = try allocator.allocate(); #expect(got == ip("10.0.0.2")) }
    }

    @Test func gatewayAndAuxAddressesAreNeverHandedOut() throws {
        var allocator = try AddressAllocator(
            subnet: cidr("192.168.50.0/29"), gateway: .address(ip("192.168.50.4")),
            auxAddresses: ["router": ip("192.168.50.1"), "printer": ip("192.168.50.6")])
        var got: [IPv4Address] = []
        while let next = try? allocator.allocate() { got.append(next) }
        #expect(got == [ip("192.168.50.2"), ip("192.168.50.3"), ip("192.168.50.5")])
        expectError("Address already in use", code: .conflict) { try allocator.allocate(specific: ip("192.168.50.4")) }
        expectError("Address already in use") { try allocator.allocate(specific: ip("192.168.50.1")) }
        expectError("Address already in use") { try allocator.allocate(specific: ip("192.168.50.0")) }
        expectError("Address already in use") { try allocator.allocate(specific: ip("192.168.50.7")) }
        do { let ok = allocator.release(ip("192.168.50.4")); #expect(!ok) }
        #expect(allocator.isReserved(ip("192.168.50.4")))
    }

    @Test func configurationErrorsUseDockersWords() {
        expectError("no matching subnet for gateway 10.0.0.1", code: .invalidArgument) {
            _ = try AddressAllocator(subnet: cidr("172.18.0.0/16"), gateway: .address(ip("10.0.0.1")))
        }
        expectError("no matching subnet for aux-address 10.0.0.9") {
            _ = try AddressAllocator(subnet: cidr("172.18.0.0/16"), auxAddresses: ["a": ip("10.0.0.9")])
        }
        expectError("no matching subnet for range 172.0.0.0/8") {
            _ = try AddressAllocator(subnet: cidr("172.18.0.0/16"), ipRange: cidr("172.0.0.0/8"))
        }
        expectError("failed to allocate gateway (172.18.0.0): Address already in use") {
            _ = try AddressAllocator(subnet: cidr("172.18.0.0/16"), gateway: .address(ip("172.18.0.0")))
        }
        expectError("failed to allocate secondary ip address (host:172.18.0.1): Address already in use") {
            _ = try AddressAllocator(subnet: cidr("172.18.0.0/16"), auxAddresses: ["host": ip("172.18.0.1")])
        }
    }

    @Test func ipRangeBoundsDynamicAllocationButNotSpecificOnes() throws {
        var allocator = try AddressAllocator(subnet: cidr("172.28.0.0/16"), ipRange: cidr("172.28.5.0/30"))
        #expect(allocator.gateway == ip("172.28.0.1"))
        let dynamic = try (0..<4).map { _ in try allocator.allocate() }
        #expect(dynamic == (0...3).map { ip("172.28.5.\($0)") })
        expectError("no available addresses on this pool") { _ = try allocator.allocate() }
        try allocator.allocate(specific: ip("172.28.9.9"))   // outside the range, inside the subnet: Docker allows it
        expectError("Address already in use") { try allocator.allocate(specific: ip("172.28.9.9")) }
        expectError("Address already in use") { try allocator.allocate(specific: ip("172.28.5.1")) }
        expectError("Invalid address 172.29.0.1: It does not belong to any of this network's subnets", code: .invalidArgument) {
            try allocator.allocate(specific: ip("172.29.0.1"))
        }
        #expect(allocator.inUseCount == 5)
    }

    @Test func specificAllocationDoesNotMoveTheCursor() throws {
        var allocator = try AddressAllocator(subnet: cidr("10.0.0.0/24"))
        try allocator.allocate(specific: ip("10.0.0.3"))
        do { let got = try allocator.allocate(); #expect(got == ip("10.0.0.2")) }
        do { let got = try allocator.allocate(); #expect(got == ip("10.0.0.4")) }
        try allocator.allocate(specific: ip("10.0.0.200"))
        do { let got = try allocator.allocate(); #expect(got == ip("10.0.0.5")) }
        #expect(allocator.cursor == ip("10.0.0.5"))
    }

    @Test func pointToPointSubnetsUseEveryAddress() throws {
        var allocator = try AddressAllocator(subnet: cidr("10.0.0.0/31"), gateway: .none)
        do { let got = try allocator.allocate(); #expect(got == ip("10.0.0.0")) }
        do { let got = try allocator.allocate(); #expect(got == ip("10.0.0.1")) }
        expectError("no available addresses on this pool") { _ = try allocator.allocate() }
    }

    @Test func codableRoundTripPreservesAllocationsAndCursor() throws {
        var allocator = try AddressAllocator(subnet: cidr("172.18.0.0/16"), ipRange: cidr("172.18.1.0/24"),
                                             auxAddresses: ["host": ip("172.18.0.9")])
        for _ in 0..<10 { _ = try allocator.allocate() }
        allocator.release(ip("172.18.1.4"))
        try allocator.allocate(specific: ip("172.18.200.1"))
        let data = try JSONEncoder().encode(allocator)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["inUse"] as? [String] == ["172.18.1.0-172.18.1.3", "172.18.1.5-172.18.1.9", "172.18.200.1"])
        var copy = try JSONDecoder().decode(AddressAllocator.self, from: data)
        #expect(copy == allocator)
        do { let got = try copy.allocate(); #expect(got == ip("172.18.1.10")) }
        do { let got = try allocator.allocate(); #expect(got == ip("172.18.1.10")) }
    }

    @Test func decodingRefusesAddressesOutsideTheSubnetOrReserved() throws {
        let base = #"{"subnet":"10.0.0.0/24","gateway":"10.0.0.1","auxAddresses":{},"policy":"roundRobin","inUse":"#
        for bad in [#"["10.0.1.5"]"#, #"["10.0.0.1"]"#, #"["10.0.0.5-10.0.0.3"]"#, #"["10.0.0.5","10.0.0.2"]"#] {
            #expect(throws: ShoalError.self) { try JSONDecoder().decode(AddressAllocator.self, from: Data((base + bad + "}").utf8)) }
        }
        let good = try JSONDecoder().decode(AddressAllocator.self, from: Data((base + #"["10.0.0.2-10.0.0.4"]}"#).utf8))
        #expect(good.addressesInUse == [ip("10.0.0.2"), ip("10.0.0.3"), ip("10.0.0.4")])
    }
}
