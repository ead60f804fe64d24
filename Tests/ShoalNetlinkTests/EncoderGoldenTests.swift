import Testing
@testable import ShoalNetlink

/// Golden bytes: each `bytes` string is the request iproute2 6.1 sent, captured in a throwaway netns with
/// `strace -f -e trace=sendmsg,sendto -e write=all -xx -s 4096 <command>` (the live twin of these tests,
/// EncoderStraceTests, re-captures them on every run). Link indexes are those the capture namespace had.
///
/// Normalisation, so only real differences fail:
/// - nlmsg_seq is iproute2's time-based counter: it is read from the captured bytes and given to our encoder.
/// - nlmsg_pid is 0 in both (the kernel fills in the sender).
/// - fd numbers (IFLA_NET_NS_FD) are whatever the process had open; the captured value is used.
/// - iproute2's preceding lookups (RTM_GETLINK by name) are not compared; we take indexes, not names.
/// Differences by design, each visible below:
/// - veth MTU: we put IFLA_MTU on both ends, so the command spells `peer name … mtu …` (plain `ip … mtu M type
///   veth` sets only the first end).
/// - IPv6 default route: iproute2 adds RTA_DST ::/0; we omit it (the kernel reads no RTA_DST as ::/0), so that
///   attribute is dropped from the capture before comparing.
struct GoldenCase: Sendable, CustomTestStringConvertible {
    let command: String
    let bytes: String
    var dropTopLevel: UInt16? = nil
    let build: @Sendable (_ sequence: UInt32) -> [UInt8]

    var testDescription: String { command }
}

private func msg(_ message: NetlinkMessage) -> @Sendable (UInt32) -> [UInt8] {
    { message.encoded(sequence: $0) }
}

let goldenCases: [GoldenCase] = [
    GoldenCase(command: "ip link add br1 mtu 1400 type bridge",
               bytes: "40000000 10000506 eb45036b 00000000 00000000 00000000 00000000 00000000 08000400 78050000"
                   + "08000300 62723100 10001200 0a000100 62726964 67650000",
               build: msg(NetlinkRequest.linkAddBridge(name: "br1", mtu: 1400))),
    GoldenCase(command: "ip link add veth2 mtu 1450 type veth peer name veth3 mtu 1450 netns <fd 4>",
               bytes: "74000000 10000506 eb45036b 00000000 00000000 00000000 00000000 00000000 08000400 aa050000"
                   + "0a000300 76657468 32000000 40001200 08000100 76657468 34000200 30000100 00000000 00000000"
                   + "00000000 00000000 08000400 aa050000 08001c00 04000000 0a000300 76657468 33000000",
               build: msg(NetlinkRequest.linkAddVeth(name: "veth2", peerName: "veth3", peerNamespaceFD: 4, mtu: 1450))),
    GoldenCase(command: "ip link add vxlan0 mtu 1450 type vxlan id 42 local 10.0.0.1 dstport 4789 dev <6> nolearning",
               bytes: "70000000 10000506 eb45036b 00000000 00000000 00000000 00000000 00000000 08000400 aa050000"
                   + "0b000300 76786c61 6e300000 3c001200 09000100 76786c61 6e000000 2c000200 08000300 06000000"
                   + "08000100 2a000000 08000400 0a000001 05000700 00000000 06000f00 12b50000",
               build: msg(NetlinkRequest.linkAddVXLAN(name: "vxlan0", vni: 42, local: [10, 0, 0, 1], port: 4789,
                                                      underlayIndex: 6, learning: false, mtu: 1450))),
    GoldenCase(command: "ip link add vxlan1 type vxlan id 43 dstport 4789 learning",
               bytes: "58000000 10000506 eb45036b 00000000 00000000 00000000 00000000 00000000 0b000300 76786c61"
                   + "6e310000 2c001200 09000100 76786c61 6e000000 1c000200 08000100 2b000000 05000700 01000000"
                   + "06000f00 12b50000",
               build: msg(NetlinkRequest.linkAddVXLAN(name: "vxlan1", vni: 43, local: nil, port: 4789,
                                                      underlayIndex: nil, learning: true, mtu: nil))),
    GoldenCase(command: "ip link add link <2> name mv0 mtu 1450 netns <fd 4> type macvlan mode bridge",
               bytes: "5c000000 10000506 df0b156b 00000000 00000000 00000000 00000000 00000000 08000400 aa050000"
                   + "08001c00 04000000 08000500 02000000 08000300 6d763000 1c001200 0b000100 6d616376 6c616e00"
                   + "0c000200 08000100 04000000",
               build: msg(NetlinkRequest.linkAddMacvlan(name: "mv0", parentIndex: 2, namespaceFD: 4, mtu: 1450))),
    GoldenCase(command: "ip link set <4> master <2>",
               bytes: "28000000 10000500 eb45036b 00000000 00000000 04000000 00000000 00000000 08000a00 02000000",
               build: msg(NetlinkRequest.linkSetMaster(index: 4, masterIndex: 2))),
    GoldenCase(command: "ip link set <3> up",
               bytes: "20000000 10000500 3147036b 00000000 00000000 03000000 01000000 01000000",
               build: msg(NetlinkRequest.linkSetUp(index: 3, up: true))),
    GoldenCase(command: "ip link set <4> down",
               bytes: "20000000 10000500 eb45036b 00000000 00000000 04000000 00000000 01000000",
               build: msg(NetlinkRequest.linkSetUp(index: 4, up: false))),
    GoldenCase(command: "ip link set <4> mtu 1400",
               bytes: "28000000 10000500 eb45036b 00000000 00000000 04000000 00000000 00000000 08000400 78050000",
               build: msg(NetlinkRequest.linkSetMTU(index: 4, mtu: 1400))),
    GoldenCase(command: "ip link set <4> address 02:00:00:00:00:01",
               bytes: "2c000000 10000500 ec45036b 00000000 00000000 04000000 00000000 00000000 0a000100 02000000"
                   + "00010000",
               build: msg(NetlinkRequest.linkSetAddress(index: 4, mac: [2, 0, 0, 0, 0, 1]))),
    GoldenCase(command: "ip link set <4> name vethx",
               bytes: "2c000000 10000500 eb45036b 00000000 00000000 04000000 00000000 00000000 0a000300 76657468"
                   + "78000000",
               build: msg(NetlinkRequest.linkSetName(index: 4, name: "vethx"))),
    GoldenCase(command: "ip link set <4> netns <fd 4>",
               bytes: "28000000 10000500 eb45036b 00000000 00000000 04000000 00000000 00000000 08001c00 04000000",
               build: msg(NetlinkRequest.linkSetNamespace(index: 4, namespaceFD: 4))),
    GoldenCase(command: "ip link del <3>",
               bytes: "20000000 11000500 eb45036b 00000000 00000000 03000000 00000000 00000000",
               build: msg(NetlinkRequest.linkDelete(index: 3))),
    GoldenCase(command: "ip addr add 10.1.0.2/24 brd + dev <3>",
               bytes: "30000000 14000506 3147036b 00000000 02180000 03000000 08000200 0a010002 08000100 0a010002"
                   + "08000400 0a0100ff",
               build: msg(NetlinkRequest.addressAdd(index: 3, address: [10, 1, 0, 2], prefixLength: 24, family: .inet))),
    GoldenCase(command: "ip addr add 10.1.0.3/31 brd + dev <3> (no broadcast for /31)",
               bytes: "28000000 14000506 3147036b 00000000 021f0000 03000000 08000200 0a010003 08000100 0a010003",
               build: msg(NetlinkRequest.addressAdd(index: 3, address: [10, 1, 0, 3], prefixLength: 31, family: .inet))),
    GoldenCase(command: "ip -6 addr add fd00::2/64 dev <4>",
               bytes: "40000000 14000506 eb45036b 00000000 0a400000 04000000 14000200 fd000000 00000000 00000000"
                   + "00000002 14000100 fd000000 00000000 00000000 00000002",
               build: msg(NetlinkRequest.addressAdd(index: 4, address: [0xfd] + Array(repeating: 0, count: 14) + [2],
                                                    prefixLength: 64, family: .inet6))),
    GoldenCase(command: "ip -6 addr add fd00::2/64 dev <4> nodad (ifa_flags IFA_F_NODAD)",
               bytes: "40000000 14000506 eb45036b 00000000 0a400200 04000000 14000200 fd000000 00000000 00000000"
                   + "00000002 14000100 fd000000 00000000 00000000 00000002",
               build: msg(NetlinkRequest.addressAdd(index: 4, address: [0xfd] + Array(repeating: 0, count: 14) + [2],
                                                    prefixLength: 64, family: .inet6, noDAD: true))),
    GoldenCase(command: "ip addr del 10.1.0.2/24 dev <4>",
               bytes: "28000000 15000500 eb45036b 00000000 02180000 04000000 08000200 0a010002 08000100 0a010002",
               build: msg(NetlinkRequest.addressDelete(index: 4, address: [10, 1, 0, 2], prefixLength: 24,
                                                       family: .inet))),
    GoldenCase(command: "ip route add default via 10.1.0.1",
               bytes: "24000000 18000506 3147036b 00000000 02000000 fe030001 00000000 08000500 0a010001",
               build: msg(NetlinkRequest.routeAdd(destination: nil, prefixLength: 0, gateway: [10, 1, 0, 1],
                                                  outputIndex: nil, family: .inet))),
    GoldenCase(command: "ip route add 10.9.0.0/16 via 10.1.0.1 dev <3>",
               bytes: "34000000 18000506 3147036b 00000000 02100000 fe030001 00000000 08000100 0a090000 08000500"
                   + "0a010001 08000400 03000000",
               build: msg(NetlinkRequest.routeAdd(destination: [10, 9, 0, 0], prefixLength: 16, gateway: [10, 1, 0, 1],
                                                  outputIndex: 3, family: .inet))),
    GoldenCase(command: "ip route add 10.9.0.0/16 dev <4> (scope link)",
               bytes: "2c000000 18000506 eb45036b 00000000 02100000 fe03fd01 00000000 08000100 0a090000 08000400"
                   + "04000000",
               build: msg(NetlinkRequest.routeAdd(destination: [10, 9, 0, 0], prefixLength: 16, gateway: nil,
                                                  outputIndex: 4, family: .inet))),
    GoldenCase(command: "ip route del default via 10.1.0.1",
               bytes: "24000000 19000500 eb45036b 00000000 02000000 fe00ff00 00000000 08000500 0a010001",
               build: msg(NetlinkRequest.routeDelete(destination: nil, prefixLength: 0, gateway: [10, 1, 0, 1],
                                                     outputIndex: nil, family: .inet))),
    GoldenCase(command: "ip -6 route add default via fd00::1 dev <3> (RTA_DST ::/0 dropped)",
               bytes: "4c000000 18000506 3147036b 00000000 0a000000 fe030001 00000000 14000100 00000000 00000000"
                   + "00000000 00000000 14000500 fd000000 00000000 00000000 00000001 08000400 03000000",
               dropTopLevel: 1,
               build: msg(NetlinkRequest.routeAdd(destination: nil, prefixLength: 0,
                                                  gateway: [0xfd] + Array(repeating: 0, count: 14) + [1],
                                                  outputIndex: 3, family: .inet6))),
    GoldenCase(command: "ip neigh replace 10.1.0.5 lladdr 02:42:0a:01:00:05 dev <3> nud permanent",
               bytes: "30000000 1c000505 3247036b 00000000 02000000 03000000 80000000 08000100 0a010005 0a000200"
                   + "02420a01 00050000",
               build: msg(NetlinkRequest.neighbourAdd(index: 3, address: [10, 1, 0, 5], mac: [2, 0x42, 10, 1, 0, 5],
                                                      permanent: true, family: .inet))),
    GoldenCase(command: "ip neigh del 10.1.0.5 dev <4>",
               bytes: "24000000 1d000500 ec45036b 00000000 02000000 04000000 80000000 08000100 0a010005",
               build: msg(NetlinkRequest.neighbourDelete(index: 4, address: [10, 1, 0, 5], family: .inet))),
    GoldenCase(command: "bridge fdb append 00:00:00:00:00:00 dev <9> dst 10.0.0.2 self permanent",
               bytes: "30000000 1c00050c ec45036b 00000000 07000000 09000000 c0000200 0a000200 00000000 00000000"
                   + "08000100 0a000002",
               build: msg(NetlinkRequest.fdbAppend(index: 9, mac: [0, 0, 0, 0, 0, 0], destination: [10, 0, 0, 2]))),
    GoldenCase(command: "bridge fdb del 00:00:00:00:00:00 dev <9> dst 10.0.0.2 self",
               bytes: "30000000 1d000500 ec45036b 00000000 07000000 09000000 c0000200 0a000200 00000000 00000000"
                   + "08000100 0a000002",
               build: msg(NetlinkRequest.fdbDelete(index: 9, mac: [0, 0, 0, 0, 0, 0], destination: [10, 0, 0, 2]))),
]

@Suite struct EncoderGoldenTests {
    @Test(arguments: goldenCases)
    func matchesIproute2(_ golden: GoldenCase) {
        var expected = hex(golden.bytes)
        if let type = golden.dropTopLevel { expected = WireFields.droppingTopLevel(type, from: expected) }
        let sequence = WireFields.u32(expected, 8)
        let ours = golden.build(sequence)
        #expect(WireFields.describe(ours) == WireFields.describe(expected))
        #expect(ours == expected)
    }

    @Test func attributesAreAlignedAndNestedLengthsIncludeInnerPadding() {
        let message = NetlinkMessage(type: 16, flags: 1, header: [1, 2, 3], attributes: [
            NetlinkAttribute(7, bytes: [0xaa]),
            NetlinkAttribute(8, nested: [NetlinkAttribute(9, bytes: [1, 2, 3, 4, 5])]),
        ])
        let bytes = message.encoded(sequence: 7, portID: 9)
        #expect(bytes == hex("""
            2c000000 10000100 07000000 09000000 01020300
            05000700 aa000000
            10000800 09000900 01020304 05000000
            """))
    }

    @Test func broadcastSetsTheHostPartToOnes() {
        #expect(NetlinkRequest.broadcast([10, 1, 2, 3], 24) == [10, 1, 2, 255])
        #expect(NetlinkRequest.broadcast([10, 1, 2, 3], 20) == [10, 1, 15, 255])
        #expect(NetlinkRequest.broadcast([10, 1, 2, 3], 8) == [10, 255, 255, 255])
        #expect(NetlinkRequest.broadcast([10, 1, 2, 3], 30) == [10, 1, 2, 3])
    }
}
