/// Parsing and printing of IPv4, CIDR, IPv6 and MAC addresses, with Docker's error texts for bad input.
import Foundation
import Testing
import ShoalCore
import ShoalIPAM

@Suite struct AddressParsingTests {
    @Test func ipv4RoundTripsAndOrders() throws {
        for text in ["0.0.0.0", "172.17.0.2", "255.255.255.255", "10.0.0.1", "192.168.100.200"] {
            #expect(try IPv4Address(parsing: text).description == text)
        }
        #expect(ip("172.17.0.2").value == 0xAC11_0002)
        #expect(ip("10.0.0.1") < ip("10.0.0.2"))
        #expect(ip("9.255.255.255") < ip("10.0.0.0"))
        #expect(IPv4Address(172, 17, 0, 2) == ip("172.17.0.2"))
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.-1", "01.2.3.4", "1..2.3", "1.2.3.4 ", " 1.2.3.4",
                      "a.b.c.d", "1.2.3.", ".1.2.3", "1.2.3.4/24", "::1", "1.2.3.0004"])
    func ipv4RejectsBadInput(_ text: String) {
        expectError("invalid IP address: \(text)", code: .invalidArgument) { _ = try IPv4Address(parsing: text) }
    }

    @Test func subnetParsesArithmetic() throws {
        let subnet = try IPv4Subnet(parsing: "172.18.0.0/16")
        #expect(subnet.description == "172.18.0.0/16")
        #expect(subnet.network == ip("172.18.0.0"))
        #expect(subnet.broadcast == ip("172.18.255.255"))
        #expect(subnet.netmask == ip("255.255.0.0"))
        #expect(subnet.firstHost == ip("172.18.0.1"))
        #expect(subnet.lastHost == ip("172.18.255.254"))
        #expect(subnet.addressCount == 65536)
        #expect(subnet.contains(ip("172.18.3.4")))
        #expect(!subnet.contains(ip("172.19.0.0")))
        #expect(subnet.contains(cidr("172.18.5.0/24")))
        #expect(!cidr("172.18.5.0/24").contains(subnet))
        #expect(subnet.overlaps(cidr("172.18.5.0/24")) && cidr("172.18.5.0/24").overlaps(subnet))
        #expect(subnet.overlaps(cidr("172.16.0.0/12")))
        #expect(!subnet.overlaps(cidr("172.19.0.0/16")))
        #expect(cidr("0.0.0.0/0").addressCount == 1 << 32)
        #expect(cidr("0.0.0.0/0").contains(ip("255.1.2.3")))
    }

    @Test func pointToPointAndHostPrefixesHaveNoNetworkOrBroadcast() {
        #expect(cidr("10.0.0.0/31").firstHost == ip("10.0.0.0"))
        #expect(cidr("10.0.0.0/31").lastHost == ip("10.0.0.1"))
        #expect(cidr("10.0.0.7/32").firstHost == ip("10.0.0.7"))
        #expect(!cidr("10.0.0.0/31").reservesNetworkAndBroadcast)
        #expect(cidr("10.0.0.0/30").reservesNetworkAndBroadcast)
    }

    @Test func subnetWithHostBitsIsRefusedWithTheCanonicalForm() {
        expectError("invalid subnet 172.18.0.1/16: it should be 172.18.0.0/16", code: .invalidArgument) {
            _ = try IPv4Subnet(parsing: "172.18.0.1/16")
        }
        expectError("invalid ip-range 172.18.5.7/24: it should be 172.18.5.0/24") {
            _ = try IPv4Subnet(parsing: "172.18.5.7/24", label: "ip-range")
        }
    }

    @Test(arguments: ["172.18.0.0", "172.18.0.0/33", "172.18.0.0/", "/16", "172.18.0/16", "172.18.0.0/016",
                      "172.18.0.0/-1", "172.18.0.0/16/1", "fd00::/64", "x"])
    func subnetRejectsBadCIDR(_ text: String) {
        expectError("invalid CIDR address: \(text)", code: .invalidArgument) { _ = try IPv4Subnet(parsing: text) }
    }

    @Test func interfaceKeepsHostBits() throws {
        let interface = try IPv4Interface(parsing: "172.18.0.5/16")
        #expect(interface.address == ip("172.18.0.5"))
        #expect(interface.subnet == cidr("172.18.0.0/16"))
        #expect(interface.description == "172.18.0.5/16")
        expectError("Invalid address 10.0.0.1: It does not belong to any of this network's subnets") {
            _ = try IPv4Interface(address: ip("10.0.0.1"), subnet: cidr("172.18.0.0/16"))
        }
    }

    @Test func subdivideTilesInOrder() throws {
        let parts = try cidr("192.168.0.0/16").subdivide(into: 20)
        #expect(parts.count == 16)
        #expect(parts.first == cidr("192.168.0.0/20"))
        #expect(parts[1] == cidr("192.168.16.0/20"))
        #expect(parts.last == cidr("192.168.240.0/20"))
        #expect(try cidr("10.0.0.0/8").subdivide(into: 24).count == 65536)
        #expect(try cidr("10.0.0.0/8").subdivide(into: 24)[65535] == cidr("10.255.255.0/24"))
        #expect(Array(try cidr("10.0.0.0/24").subdivide(into: 24)) == [cidr("10.0.0.0/24")])
        #expect(try cidr("0.0.0.0/0").subdivide(into: 1).last == cidr("128.0.0.0/1"))
        expectError("cannot split 10.0.0.0/24 into /16 subnets: the size must be between /24 and /32") {
            _ = try cidr("10.0.0.0/24").subdivide(into: 16)
        }
    }

    @Test func ipv6ParsesAndPrintsCanonically() throws {
        let cases: [(String, String)] = [
            ("::", "::"), ("::1", "::1"), ("fd00::1", "fd00::1"),
            ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
            ("2001:DB8::", "2001:db8::"), ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
            ("1:0:3:4:5:6:7:8", "1:0:3:4:5:6:7:8"), ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ]
        for (input, canonical) in cases {
            #expect(try IPv6Address(parsing: input).description == canonical, "\(input)")
            #expect(try IPv6Address(parsing: canonical).description == canonical)
        }
        #expect(try IPv6Address(parsing: "::").isUnspecified)
    }

    @Test(arguments: ["", ":", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::1", "fe80::1%eth0",
                      "1:2:3:4:5:6:7::8", "::1.2.3", "1.2.3.4::"])
    func ipv6RejectsBadInput(_ text: String) {
        expectError("invalid IP address: \(text)") { _ = try IPv6Address(parsing: text) }
    }

    @Test func eitherFamilyAndIPv6Subnets() throws {
        #expect(try IPAddress(parsing: "0.0.0.0") == .v4(.any))
        #expect(try IPAddress(parsing: "::") == .v6(.any))
        #expect(try IPAddress(parsing: "::").hostPort(80) == "[::]:80")
        let subnet = try IPv6Subnet(parsing: "fd00:1::/64")
        #expect(subnet.contains(try IPv6Address(parsing: "fd00:1::42")))
        #expect(!subnet.contains(try IPv6Address(parsing: "fd00:2::42")))
        expectError("invalid subnet fd00::1/64: it should be fd00::/64") { _ = try IPv6Subnet(parsing: "fd00::1/64") }
        expectError("invalid CIDR address: fd00::/129") { _ = try IPv6Subnet(parsing: "fd00::/129") }
    }

    @Test func macDerivesFromIPv4AsDockerDoes() throws {
        #expect(MACAddress(derivedFrom: ip("172.17.0.2")).description == "02:42:ac:11:00:02")
        #expect(MACAddress(derivedFrom: ip("10.255.0.10")).description == "02:42:0a:ff:00:0a")
        #expect(try MACAddress(parsing: "02:42:AC:11:00:02").description == "02:42:ac:11:00:02")
        #expect(try MACAddress(parsing: "02-42-ac-11-00-02") == MACAddress(derivedFrom: ip("172.17.0.2")))
        for bad in ["02:42:ac:11:00", "02:42:ac:11:00:2", "02:42:ac:11:00:0g", "", "02:42:ac:11:00:02:03"] {
            expectError("invalid MAC address: \(bad)") { _ = try MACAddress(parsing: bad) }
        }
    }

    @Test func valuesEncodeAsTheirTextForms() throws {
        let data = try JSONEncoder().encode([cidr("172.18.0.0/16")])
        #expect(String(decoding: data, as: UTF8.self) == #"["172.18.0.0\/16"]"#)
        #expect(try roundTrip(ip("10.1.2.3")) == ip("10.1.2.3"))
        #expect(try roundTrip(IPAddress.v6(.any)) == .v6(.any))
        #expect(try roundTrip(MACAddress(derivedFrom: ip("172.17.0.9"))) == MACAddress(derivedFrom: ip("172.17.0.9")))
        #expect(throws: (any Error).self) { try JSONDecoder().decode(IPv4Subnet.self, from: Data(#""172.18.0.1/16""#.utf8)) }
    }

    @Test func parsingRoundTripsForRandomValues() throws {
        var random = SeededGenerator(seed: 0x5EED_0001)
        for _ in 0..<2000 {
            let address = IPv4Address(UInt32.random(in: .min ... .max, using: &random))
            #expect(try IPv4Address(parsing: address.description) == address)
            let subnet = IPv4Subnet(containing: address, prefixLength: Int.random(in: 0...32, using: &random))
            #expect(try IPv4Subnet(parsing: subnet.description) == subnet)
            #expect(subnet.contains(address))
            let v6 = IPv6Address(high: random.next() & (random.next() | 0xFFFF_0000_FFFF_0000), low: random.next() & random.next())
            #expect(try IPv6Address(parsing: v6.description) == v6)
        }
    }
}
