/// Published host ports (specific, ranges, ephemeral, cross-address conflicts) and VXLAN IDs.
import Foundation
import Testing
import ShoalCore
import ShoalIPAM

@Suite struct PortAllocatorTests {
    let any4 = IPAddress.v4(.any)
    let loopback = IPAddress.v4(ip("127.0.0.1"))
    let lan = IPAddress.v4(ip("192.168.1.10"))
    let any6 = IPAddress.v6(.any)

    @Test func specificPortsConflictOnTheSameAddress() throws {
        var ports = try PortAllocator()
        try ports.allocate(.tcp, hostIP: any4, port: 8080)
        expectError("Bind for 0.0.0.0:8080 failed: port is already allocated", code: .conflict) {
            try ports.allocate(.tcp, hostIP: any4, port: 8080)
        }
        try ports.allocate(.udp, hostIP: any4, port: 8080)   // another protocol is another port
        try ports.allocate(.tcp, hostIP: any6, port: 8080)   // Docker binds 0.0.0.0 and :: side by side
        expectError("Bind for [::]:8080 failed: port is already allocated") { try ports.allocate(.tcp, hostIP: any6, port: 8080) }
    }

    @Test func unspecifiedAddressConflictsWithEverySpecificAddress() throws {
        var ports = try PortAllocator()
        try ports.allocate(.tcp, hostIP: any4, port: 8080)
        expectError("Bind for 127.0.0.1:8080 failed: port is already allocated") {
            try ports.allocate(.tcp, hostIP: loopback, port: 8080)
        }
        try ports.allocate(.tcp, hostIP: loopback, port: 9090)
        try ports.allocate(.tcp, hostIP: lan, port: 9090)   // two specific addresses do not clash
        expectError("Bind for 0.0.0.0:9090 failed: port is already allocated") {
            try ports.allocate(.tcp, hostIP: any4, port: 9090)
        }
        #expect(!ports.isAvailable(.tcp, hostIP: any4, port: 9090))
        #expect(ports.isAvailable(.tcp, hostIP: any6, port: 9090))
        do { let ok = ports.release(.tcp, hostIP: loopback, port: 9090); #expect(ok) }
        do { let ok = ports.release(.tcp, hostIP: loopback, port: 9090); #expect(!ok) }
        do { let ok = ports.release(.tcp, hostIP: lan, port: 9090); #expect(ok) }
        try ports.allocate(.tcp, hostIP: any4, port: 9090)
    }

    @Test func ephemeralPortsRoundRobinAndSkipTakenOnes() throws {
        var ports = try PortAllocator()
        do { let got = try ports.allocate(.tcp, hostIP: any4); #expect(got == 49153) }
        try ports.allocate(.tcp, hostIP: loopback, port: 49154)   // blocks 49154 for 0.0.0.0 too
        do { let got = try ports.allocate(.tcp, hostIP: any4); #expect(got == 49155) }
        ports.release(.tcp, hostIP: any4, port: 49153)
        #expect(try ports.allocate(.tcp, hostIP: any4) == 49156)   // not the port just released
        #expect(try ports.allocate(.tcp, hostIP: loopback) == 49153)   // loopback's own cursor starts fresh
    }

    @Test func ephemeralExhaustionAndUserRanges() throws {
        var ports = try PortAllocator(ephemeralRange: 40000...40002)
        try ports.allocate(.udp, hostIP: any4, port: 40001)
        do { let got = try ports.allocate(.udp, hostIP: any4); #expect(got == 40000) }
        do { let got = try ports.allocate(.udp, hostIP: any4); #expect(got == 40002) }
        expectError("all ports are allocated", code: .unavailable) { _ = try ports.allocate(.udp, hostIP: any4) }
        do { let got = try ports.allocate(.udp, hostIP: any4, in: 8000...8001); #expect(got == 8000) }
        do { let got = try ports.allocate(.udp, hostIP: any4, in: 8000...8001); #expect(got == 8001) }
        expectError("all ports are allocated") { _ = try ports.allocate(.udp, hostIP: loopback, in: 8000...8001) }
        expectError("invalid host port 0: use an ephemeral allocation") { try ports.allocate(.udp, hostIP: any4, port: 0) }
    }

    @Test func codableRoundTripPreservesBindings() throws {
        var ports = try PortAllocator()
        try ports.allocate(.tcp, hostIP: any4, port: 80)
        try ports.allocate(.tcp, hostIP: any6, port: 80)
        try ports.allocate(.sctp, hostIP: loopback, port: 5000)
        for _ in 0..<5 { _ = try ports.allocate(.tcp, hostIP: any4) }
        var copy = try roundTrip(ports)
        #expect(copy == ports)
        #expect(Set(copy.bindings.map(\.description)) == [
            "0.0.0.0:80/tcp", "0.0.0.0:49153/tcp", "0.0.0.0:49154/tcp", "0.0.0.0:49155/tcp", "0.0.0.0:49156/tcp",
            "0.0.0.0:49157/tcp", "[::]:80/tcp", "127.0.0.1:5000/sctp",
        ])
        #expect(copy.bindings.count == 8)
        do { let got = try copy.allocate(.tcp, hostIP: any4); #expect(got == 49158) }
        let clash = #"{"ephemeralFirst":1,"ephemeralLast":9,"bindings":[{"proto":"tcp","hostIP":"0.0.0.0","ports":["80"]},{"proto":"tcp","hostIP":"127.0.0.1","ports":["80"]}]}"#
        #expect(throws: ShoalError.self) { try JSONDecoder().decode(PortAllocator.self, from: Data(clash.utf8)) }
    }
}

@Suite struct VNIAllocatorTests {
    @Test func allocatesFromSwarmsDefaultRange() throws {
        var vnis = try VNIAllocator()
        do { let got = try vnis.allocate(); #expect(got == 4096) }
        do { let got = try vnis.allocate(); #expect(got == 4097) }
        try vnis.reserve(4098)
        do { let got = try vnis.allocate(); #expect(got == 4099) }
        try vnis.reserve(42)   // user-chosen VNIs may lie below the automatic range
        expectError("VXLAN ID 42 is already in use", code: .conflict) { try vnis.reserve(42) }
        expectError("invalid VXLAN ID 16777216: VXLAN IDs are 1-16777215") { try vnis.reserve(16_777_216) }
        expectError("invalid VXLAN ID 0: VXLAN IDs are 1-16777215") { try vnis.reserve(0) }
    }

    @Test func exhaustionOnASmallRangeAndRoundRobinReuse() throws {
        var vnis = try VNIAllocator(range: 10...12)
        do { let got = try (0..<3).map { _ in try vnis.allocate() }; #expect(got == [10, 11, 12]) }
        expectError("no available VXLAN IDs: all of 10-12 are in use", code: .unavailable) { _ = try vnis.allocate() }
        do { let ok = vnis.release(11); #expect(ok) }
        do { let ok = vnis.release(11); #expect(!ok) }
        do { let got = try vnis.allocate(); #expect(got == 11) }
        vnis.release(10)
        vnis.release(12)
        do { let got = try vnis.allocate(); #expect(got == 12) }
        do { let got = try vnis.allocate(); #expect(got == 10) }
        expectError("invalid VXLAN ID range 0-5: VXLAN IDs are 1-16777215") { _ = try VNIAllocator(range: 0...5) }
    }

    @Test func codableRoundTrip() throws {
        var vnis = try VNIAllocator()
        for _ in 0..<100 { _ = try vnis.allocate() }
        vnis.release(4100)
        try vnis.reserve(7)
        let data = try JSONEncoder().encode(vnis)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["inUse"] as? [String] == ["7", "4096-4099", "4101-4195"])
        var copy = try JSONDecoder().decode(VNIAllocator.self, from: data)
        #expect(copy == vnis)
        do { let got = try copy.allocate(); #expect(got == 4196) }
    }
}
