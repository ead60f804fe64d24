/// IPv6 address allocation on an `--ipv6` network: gateway, lowest free first, `--ip6`, aux addresses, a full range.
import Testing
import ShoalCore
import ShoalIPAM

@Suite struct IPv6AddressAllocatorTests {
    func ip6(_ text: String) -> IPv6Address { try! IPv6Address(parsing: text) }
    func cidr6(_ text: String) -> IPv6Subnet { try! IPv6Subnet(parsing: text, label: "subnet") }

    @Test func gatewayFirstThenLowestFreeAndReuse() throws {
        var allocator = try IPv6AddressAllocator(subnet: cidr6("fd00:5::/64"), auxAddresses: ["r": ip6("fd00:5::3")])
        #expect(allocator.gateway == ip6("fd00:5::1"))
        #expect(try allocator.allocate() == ip6("fd00:5::2"))
        #expect(try allocator.allocate() == ip6("fd00:5::4"), "the aux address is skipped")
        let released = allocator.release(ip6("fd00:5::2"))
        #expect(released)
        #expect(try allocator.allocate() == ip6("fd00:5::2"))
        try allocator.allocate(specific: ip6("fd00:5::ffff"))
        expectError("Address already in use", code: .conflict) { try allocator.allocate(specific: ip6("fd00:5::ffff")) }
        expectError("Address already in use", code: .conflict) { try allocator.allocate(specific: ip6("fd00:5::1")) }
        expectError("Invalid address fd00:6::1: It does not belong to any of this network's subnets") {
            try allocator.allocate(specific: ip6("fd00:6::1"))
        }
    }

    @Test func rangeGatewayAndExhaustion() throws {
        var allocator = try IPv6AddressAllocator(subnet: cidr6("fd00:5::/120"), ipRange: cidr6("fd00:5::10/127"),
                                                 gateway: ip6("fd00:5::fe"))
        #expect(try allocator.allocate() == ip6("fd00:5::10"))
        #expect(try allocator.allocate() == ip6("fd00:5::11"))
        expectError("no available addresses on this pool", code: .unavailable) { _ = try allocator.allocate() }
        expectError("no matching subnet for gateway fd00:6::1") {
            _ = try IPv6AddressAllocator(subnet: cidr6("fd00:5::/64"), gateway: ip6("fd00:6::1"))
        }
        expectError("no matching subnet for range fd00:6::/120") {
            _ = try IPv6AddressAllocator(subnet: cidr6("fd00:5::/64"), ipRange: cidr6("fd00:6::/120"))
        }
        #expect(cidr6("fd00:5::/120").last == ip6("fd00:5::ff"))
        #expect(cidr6("::/0").last == ip6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"))
        #expect(ip6("fd00::1:ff").octets == [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0xff])
        #expect(ip6("::ffff:ffff:ffff:ffff").advanced(by: 1) == ip6("0:0:0:1::"))
    }
}
