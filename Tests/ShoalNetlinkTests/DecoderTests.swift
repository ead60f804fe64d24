import Glibc
import Testing
@testable import ShoalNetlink

@Suite struct DecoderTests {
    @Test func parsesACapturedLinkDump() throws {
        let replies = try NetlinkReply.parse(LinkDumpFixture.datagram[...])
        #expect(replies.count == 4)
        #expect(replies.allSatisfy { $0.type == NL.newLink && $0.flags & NL.multi != 0 && $0.sequence == 0x6b03_4657 })
        #expect(replies.allSatisfy { $0.portID == 2113 })
        let links = replies.compactMap(LinkInfo.init)
        #expect(links == [
            LinkInfo(index: 1, name: "lo", kind: nil, mtu: 65536, isUp: false, masterIndex: nil, mac: [0, 0, 0, 0, 0, 0]),
            LinkInfo(index: 2, name: "br0", kind: "bridge", mtu: 1500, isUp: true, masterIndex: nil,
                     mac: [2, 0, 0, 0, 0, 1]),
            LinkInfo(index: 3, name: "veth1", kind: "veth", mtu: 1500, isUp: false, masterIndex: nil,
                     mac: [2, 0, 0, 0, 0, 3]),
            LinkInfo(index: 4, name: "veth0", kind: "veth", mtu: 1500, isUp: true, masterIndex: 2,
                     mac: [2, 0, 0, 0, 0, 2]),
        ])
    }

    @Test func parsesTheDoneThatEndsTheDump() throws {
        let done = try NetlinkReply.parse(LinkDumpFixture.done[...])
        #expect(done.count == 1)
        #expect(done.first?.type == NL.done)
        #expect(done.first?.errorCode == 0)
    }

    @Test func parsesAnErrorWithExtendedAckText() throws {
        // NLMSG_ERROR, flags CAPPED|ACK_TLVS: error -EEXIST, the echoed request header, then NLMSGERR_ATTR_MSG.
        let bytes = hex("""
            30000000 02000003 05000000 41080000 efffffff
            20000000 10000506 05000000 00000000
            0c000100 45786973 74732100
            """)
        let replies = try NetlinkReply.parse(bytes[...])
        #expect(replies.count == 1)
        #expect(replies[0].errorCode == -EEXIST)
        #expect(replies[0].errorMessage == "Exists!")
    }

    @Test func rejectsAMessageLongerThanItsDatagram() {
        #expect(throws: NetlinkError.self) { try NetlinkReply.parse(hex("40000000 10000000 00000000 00000000")[...]) }
    }

    @Test func decodesAddressesAndRoutesFromRepliesBuiltLikeTheKernels() throws {
        // RTM_NEWADDR 10.1.0.2/24 on index 3 (IFA_ADDRESS, IFA_LOCAL, IFA_LABEL)
        let address = hex("""
            3c000000 14000200 01000000 00000000 02180000 03000000
            08000100 0a010002 08000200 0a010002 0a000300 76657468 30000000 08000800 80000000
            """)
        // RTM_NEWROUTE default via 10.1.0.1 dev 3, table main (RTA_TABLE 254)
        let route = hex("""
            3c000000 18000200 01000000 00000000 02000000 fe030001 00000000
            08000f00 fe000000 08000500 0a010001 08000400 03000000 08000600 00000000
            """)
        // the same route in the local table (255): skipped
        let local = hex("34000000 18000200 01000000 00000000 02200000 ff02fe02 00000000 08000f00 ff000000 08000100 7f000001 08000400 01000000")
        let replies = try NetlinkReply.parse((address + route + local)[...])
        #expect(replies.compactMap(AddressInfo.init) == [AddressInfo(family: .inet, address: [10, 1, 0, 2], prefixLength: 24, index: 3)])
        #expect(replies.compactMap(RouteInfo.init) == [
            RouteInfo(family: .inet, destination: nil, prefixLength: 0, gateway: [10, 1, 0, 1], outputIndex: 3),
        ])
    }

    @Test func errorDescriptionNamesTheOperation() {
        #expect(NetlinkError(errno: EEXIST, operation: "add link br0").description == "netlink: add link br0: File exists")
        #expect(NetlinkError(errno: EINVAL, operation: "add link x", detail: "Unknown device type").description
            == "netlink: add link x: Invalid argument (Unknown device type)")
    }
}
