import Glibc
import ShoalTestSupport
import Testing
@testable import ShoalNetlink

/// The live twin of EncoderGoldenTests: every run creates throwaway namespaces, runs the real iproute2 command
/// under strace there and compares what it sent with our encoder, field by field. Same normalisation as the golden
/// tests: sequence number and IFLA_NET_NS_FD come from the capture, indexes from `ip -j link` before the command.
struct LiveCase: Sendable, CustomTestStringConvertible {
    /// `ip -n NS …` argument lists run first.
    var setup: [[String]] = []
    /// Run under strace inside NS; "{peer}" is a second namespace's name.
    let command: [String]
    let type: UInt16
    /// Links whose indexes `build` needs (looked up before `command` runs).
    var names: [String] = []
    var dropTopLevel: UInt16? = nil
    let build: @Sendable (_ index: [String: Int32], _ namespaceFD: Int32) -> NetlinkMessage

    var testDescription: String { command.joined(separator: " ") }
}

private let veth: [[String]] = [["link", "add", "veth0", "type", "veth", "peer", "name", "vp"]]
private let vethUp = veth + [["link", "set", "veth0", "up"], ["link", "set", "vp", "up"],
                             ["addr", "add", "10.1.0.2/24", "dev", "veth0"]]
private let vxlan: [[String]] = [["link", "add", "vxlan0", "type", "vxlan", "id", "42", "dstport", "4789", "nolearning"]]
private let zeroMAC: [UInt8] = [0, 0, 0, 0, 0, 0]
private func fd00(_ last: UInt8) -> [UInt8] { [0xfd] + [UInt8](repeating: 0, count: 14) + [last] }

let liveCases: [LiveCase] = [
    LiveCase(command: ["ip", "link", "add", "br1", "mtu", "1400", "type", "bridge"], type: NL.newLink) { _, _ in
        NetlinkRequest.linkAddBridge(name: "br1", mtu: 1400)
    },
    LiveCase(command: ["ip", "link", "add", "veth2", "mtu", "1450", "type", "veth", "peer", "name", "veth3",
                       "mtu", "1450", "netns", "{peer}"], type: NL.newLink) { _, fd in
        NetlinkRequest.linkAddVeth(name: "veth2", peerName: "veth3", peerNamespaceFD: fd, mtu: 1450)
    },
    LiveCase(setup: [["link", "add", "under0", "type", "veth", "peer", "name", "under1"],
                     ["addr", "add", "10.0.0.1/24", "dev", "under0"]],
             command: ["ip", "link", "add", "vxlan0", "mtu", "1450", "type", "vxlan", "id", "42", "local", "10.0.0.1",
                       "dstport", "4789", "dev", "under0", "nolearning"], type: NL.newLink, names: ["under0"]) { i, _ in
        NetlinkRequest.linkAddVXLAN(name: "vxlan0", vni: 42, local: [10, 0, 0, 1], port: 4789,
                                    underlayIndex: i["under0"], learning: false, mtu: 1450)
    },
    LiveCase(command: ["ip", "link", "add", "vxlan2", "type", "vxlan", "id", "4097", "dstport", "4789", "nolearning",
                       "proxy"], type: NL.newLink) { _, _ in
        NetlinkRequest.linkAddVXLAN(name: "vxlan2", vni: 4097, local: nil, port: 4789, underlayIndex: nil,
                                    learning: false, proxy: true, mtu: nil)
    },
    LiveCase(setup: vxlan, command: ["ip", "link", "add", "link", "vxlan0", "name", "mv0", "mtu", "1450", "netns",
                                     "{peer}", "type", "macvlan", "mode", "bridge"],
             type: NL.newLink, names: ["vxlan0"]) { i, fd in
        NetlinkRequest.linkAddMacvlan(name: "mv0", parentIndex: i["vxlan0"]!, namespaceFD: fd, mtu: 1450)
    },
    LiveCase(setup: vxlan, command: ["ip", "link", "add", "link", "vxlan0", "name", "mv1", "type", "macvlan", "mode",
                                     "bridge"],
             type: NL.newLink, names: ["vxlan0"]) { i, _ in
        NetlinkRequest.linkAddMacvlan(name: "mv1", parentIndex: i["vxlan0"]!, namespaceFD: nil, mtu: nil)
    },
    LiveCase(setup: veth + [["link", "add", "br0", "type", "bridge"]],
             command: ["ip", "link", "set", "veth0", "master", "br0"], type: NL.newLink, names: ["veth0", "br0"]) { i, _ in
        NetlinkRequest.linkSetMaster(index: i["veth0"]!, masterIndex: i["br0"]!)
    },
    LiveCase(setup: veth, command: ["ip", "link", "set", "veth0", "up"], type: NL.newLink, names: ["veth0"]) { i, _ in
        NetlinkRequest.linkSetUp(index: i["veth0"]!, up: true)
    },
    LiveCase(setup: veth, command: ["ip", "link", "set", "veth0", "netns", "{peer}"], type: NL.newLink,
             names: ["veth0"]) { i, fd in
        NetlinkRequest.linkSetNamespace(index: i["veth0"]!, namespaceFD: fd)
    },
    LiveCase(setup: veth, command: ["ip", "link", "del", "veth0"], type: NL.delLink, names: ["veth0"]) { i, _ in
        NetlinkRequest.linkDelete(index: i["veth0"]!)
    },
    LiveCase(setup: veth, command: ["ip", "addr", "add", "10.1.0.2/24", "brd", "+", "dev", "veth0"], type: NL.newAddr,
             names: ["veth0"]) { i, _ in
        NetlinkRequest.addressAdd(index: i["veth0"]!, address: [10, 1, 0, 2], prefixLength: 24, family: .inet)
    },
    LiveCase(setup: vethUp, command: ["ip", "addr", "del", "10.1.0.2/24", "dev", "veth0"], type: NL.delAddr,
             names: ["veth0"]) { i, _ in
        NetlinkRequest.addressDelete(index: i["veth0"]!, address: [10, 1, 0, 2], prefixLength: 24, family: .inet)
    },
    LiveCase(setup: vethUp, command: ["ip", "route", "add", "default", "via", "10.1.0.1"], type: NL.newRoute) { _, _ in
        NetlinkRequest.routeAdd(destination: nil, prefixLength: 0, gateway: [10, 1, 0, 1], outputIndex: nil,
                                family: .inet)
    },
    LiveCase(setup: vethUp, command: ["ip", "route", "add", "default", "via", "169.254.77.1", "dev", "veth0", "onlink",
                                      "table", "2000"], type: NL.newRoute, names: ["veth0"]) { i, _ in
        NetlinkRequest.routeAdd(destination: nil, prefixLength: 0, gateway: [169, 254, 77, 1], outputIndex: i["veth0"],
                                family: .inet, table: 2000, onLink: true)
    },
    LiveCase(command: ["ip", "rule", "add", "not", "fwmark", "0/0xffffffff", "lookup", "2000", "pref", "100"],
             type: NL.newRule) { _, _ in
        NetlinkRequest.ruleAdd(family: .inet, fwmark: 0, mask: .max, invert: true, table: 2000, priority: 100)
    },
    LiveCase(setup: vethUp + [["route", "add", "10.9.0.0/16", "dev", "veth0"]],
             command: ["ip", "route", "del", "10.9.0.0/16", "dev", "veth0"], type: NL.delRoute, names: ["veth0"]) { i, _ in
        NetlinkRequest.routeDelete(destination: [10, 9, 0, 0], prefixLength: 16, gateway: nil,
                                   outputIndex: i["veth0"], family: .inet)
    },
    LiveCase(setup: vethUp + [["-6", "addr", "add", "fd00::2/64", "dev", "veth0", "nodad"]],
             command: ["ip", "-6", "route", "add", "default", "via", "fd00::1", "dev", "veth0"], type: NL.newRoute,
             names: ["veth0"], dropTopLevel: 1) { i, _ in
        NetlinkRequest.routeAdd(destination: nil, prefixLength: 0, gateway: fd00(1), outputIndex: i["veth0"],
                                family: .inet6)
    },
    LiveCase(setup: veth, command: ["ip", "neigh", "replace", "10.1.0.5", "lladdr", "02:42:0a:01:00:05", "dev", "veth0",
                                    "nud", "permanent"], type: NL.newNeigh, names: ["veth0"]) { i, _ in
        NetlinkRequest.neighbourAdd(index: i["veth0"]!, address: [10, 1, 0, 5], mac: [2, 0x42, 10, 1, 0, 5],
                                    permanent: true, family: .inet)
    },
    LiveCase(setup: vxlan, command: ["bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vxlan0", "dst", "10.0.0.2",
                                     "self", "permanent"], type: NL.newNeigh, names: ["vxlan0"]) { i, _ in
        NetlinkRequest.fdbAppend(index: i["vxlan0"]!, mac: zeroMAC, destination: [10, 0, 0, 2])
    },
    LiveCase(setup: [["link", "add", "vxlan6", "type", "vxlan", "id", "43", "local", "fd00::1", "dstport", "4789"]],
             command: ["bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vxlan6", "dst", "fd00::9", "self",
                       "permanent"], type: NL.newNeigh, names: ["vxlan6"]) { i, _ in
        NetlinkRequest.fdbAppend(index: i["vxlan6"]!, mac: zeroMAC, destination: fd00(9))
    },
]

@Suite struct EncoderStraceTests {
    @Test(arguments: liveCases)
    func matchesWhatIproute2SendsNow(_ live: LiveCase) async throws {
        try await TestRun.with("nl") { run in
            let namespace = try await TestNamespace(run)
            let peer = try await TestNamespace(run)
            for args in live.setup { try await namespace.ip(args) }
            var index: [String: Int32] = [:]
            for name in live.names { index[name] = try await namespace.index(of: name) }

            let command = live.command.map { $0 == "{peer}" ? peer.name : $0 }
            let buffers = try await StraceCapture.sentBuffers(namespace: namespace.name, command: command)
            var captured = try #require(StraceCapture.lastRequest(ofType: live.type, in: buffers))
            if let type = live.dropTopLevel { captured = WireFields.droppingTopLevel(type, from: captured) }

            let fd = WireFields.findU32(captured, type: IFLA.netNsFD).map { Int32(bitPattern: $0) } ?? -1
            let ours = live.build(index, fd).encoded(sequence: WireFields.u32(captured, 8))
            #expect(WireFields.describe(ours) == WireFields.describe(captured))
            #expect(ours == captured)
        }
    }
}
