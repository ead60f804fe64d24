import Foundation
import ShoalNFTables
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The rendered rules applied to a real kernel, in namespaces the tests create (see NetnsLab). Each probe
/// connects with a 1 s timeout and reads "<server role> <peer address as the server saw it>".
@Suite("Rules in network namespaces", .serialized, .enabled(if: getuid() == 0, "needs root for ip netns and nft"))
struct NamespaceBehaviourTests {
    static let a1 = "10.211.1.2", a2 = "10.211.1.3", a3 = "10.211.1.4"
    static let b1 = "10.211.2.2", b2 = "10.211.2.3"
    static let i1 = "10.211.3.2", i2 = "10.211.3.3"
    static let gatewayA = "10.211.1.1"
    static let port = NetnsLab.tcpPort

    static func ruleset(table: String) -> HostRuleset {
        HostRuleset(
            table: table,
            networks: [NetnsLab.bridgeI, NetnsLab.bridgeB, NetnsLab.bridgeA],
            publications: [
                PortPublication(proto: .tcp, hostPort: 8080, containerIP: a1, containerPort: 7000, bridge: "sh-a"),
                PortPublication(proto: .udp, hostIP: "0.0.0.0", hostPort: 5353, containerIP: a2, containerPort: 7053, bridge: "sh-a"),
                PortPublication(proto: .tcp, hostIP: NetnsLab.hostOutside, hostPort: 9090, containerIP: a2, containerPort: 7000, bridge: "sh-a"),
                PortPublication(proto: .tcp, hostPort: 8081, containerIP: b1, containerPort: 7000, bridge: "sh-b"),
                PortPublication(proto: .tcp, hostPort: 9000, containerIP: i1, containerPort: 7000, bridge: "sh-i"),
            ]
        )
    }

    @Test("same bridge talks, bridges and the internal network are isolated, containers are not reachable directly")
    func isolation() async throws {
        try await NetnsLab.with { lab in
            try await lab.buildStandardTopology()

            // Without the table every path below is open: each blocked probe later is blocked by the rules.
            #expect(try await lab.probe(from: "outside", to: Self.a1, port: Self.port) == "a1 10.212.0.2")
            #expect(try await lab.probe(from: "a1", to: Self.b1, port: Self.port) == "b1 10.211.1.2")
            #expect(try await lab.probe(from: "b1", to: Self.b2, port: Self.port) == "b2 10.211.2.2")
            #expect(try await lab.probe(from: "i1", to: NetnsLab.outside, port: Self.port) == "outside 10.211.3.2")
            #expect(try await lab.probe(from: "outside", to: Self.i1, port: Self.port) == "i1 10.212.0.2")

            let applied = try await lab.nft(Self.ruleset(table: lab.table).render())
            try #require(applied.succeeded, "\(applied.stderr)")
            lab.forgetSeen()

            // Same bridge, arbitrary port, TCP and UDP.
            #expect(try await lab.probe(from: "a1", to: Self.a2, port: Self.port) == "a2 10.211.1.2")
            #expect(try await lab.probe(from: "a3", to: Self.a1, port: NetnsLab.udpPort, proto: .udp) == "a1 10.211.1.4")
            #expect(try await lab.probe(from: "i1", to: Self.i2, port: Self.port) == "i2 10.211.3.2")
            // icc=false on sh-b (needs br_netfilter; Docker loads it too).
            if FileManager.default.fileExists(atPath: "/proc/sys/net/bridge/bridge-nf-call-iptables") {
                #expect(try await lab.probe(from: "b1", to: Self.b2, port: Self.port) == nil)
            }
            // Different bridges, both directions, internal included.
            #expect(try await lab.probe(from: "a1", to: Self.b1, port: Self.port) == nil)
            #expect(try await lab.probe(from: "b2", to: Self.a2, port: Self.port) == nil)
            #expect(try await lab.probe(from: "a1", to: Self.i1, port: Self.port) == nil)
            #expect(try await lab.probe(from: "i2", to: Self.a3, port: Self.port) == nil)
            // Internal network: nothing out, nothing in.
            #expect(try await lab.probe(from: "i1", to: NetnsLab.outside, port: Self.port) == nil)
            #expect(try await lab.probe(from: "outside", to: Self.i1, port: Self.port) == nil)
            // Unpublished container address from outside, despite the route.
            #expect(try await lab.probe(from: "outside", to: Self.a1, port: Self.port) == nil)
            #expect(try await lab.probe(from: "outside", to: Self.b2, port: Self.port) == nil)
            // One-way: the first packet must not even arrive (a dropped reply alone would fail the probes too).
            _ = try await lab.probe(from: "i2", to: NetnsLab.outside, port: NetnsLab.udpPort, proto: .udp)
            _ = try await lab.probe(from: "outside", to: Self.i2, port: NetnsLab.udpPort, proto: .udp)
            _ = try await lab.probe(from: "b2", to: Self.a3, port: NetnsLab.udpPort, proto: .udp)
            #expect(lab.seen(by: "outside") == [])
            #expect(lab.seen(by: "i1") == [])
            #expect(lab.seen(by: "i2") == ["tcp 10.211.3.2"])
            #expect(lab.seen(by: "b1") == [])
            #expect(lab.seen(by: "a3") == [])
            #expect(lab.seen(by: "a2") == ["tcp 10.211.1.2"])
            #expect(lab.seen(by: "a1") == ["udp 10.211.1.4"])
            if FileManager.default.fileExists(atPath: "/proc/sys/net/bridge/bridge-nf-call-iptables") {
                #expect(lab.seen(by: "b2") == [])
            }
        }
    }

    @Test("published ports: all addresses, one address, localhost, UDP, hairpin")
    func publications() async throws {
        try await NetnsLab.with { lab in
            try await lab.buildStandardTopology()
            let applied = try await lab.nft(Self.ruleset(table: lab.table).render())
            try #require(applied.succeeded, "\(applied.stderr)")
            let host = NetnsLab.hostOutside, second = NetnsLab.hostOutsideSecond

            // On all addresses: from outside through either host address (the peer is not rewritten).
            #expect(try await lab.probe(from: "outside", to: host, port: 8080) == "a1 10.212.0.2")
            #expect(try await lab.probe(from: "outside", to: second, port: 8080) == "a1 10.212.0.2")
            #expect(try await lab.probe(from: "outside", to: host, port: 5353, proto: .udp) == "a2 10.212.0.2")
            #expect(try await lab.probe(from: "outside", to: host, port: 8081) == "b1 10.212.0.2")
            // From the host itself: output DNAT; 127.0.0.1 needs route_localnet and is masqueraded to the gateway.
            #expect(try await lab.probe(from: "host", to: "127.0.0.1", port: 8080) == "a1 10.211.1.1")
            #expect(try await lab.probe(from: "host", to: host, port: 8080) == "a1 10.212.0.1")
            #expect(try await lab.probe(from: "host", to: "127.0.0.1", port: 5353, proto: .udp) == "a2 10.211.1.1")

            // Bound to 10.212.0.1 only.
            #expect(try await lab.probe(from: "outside", to: host, port: 9090) == "a2 10.212.0.2")
            #expect(try await lab.probe(from: "outside", to: second, port: 9090) == nil)
            #expect(try await lab.probe(from: "host", to: "127.0.0.1", port: 9090) == nil)

            // Hairpin: another container of the bridge, the container itself, through host or gateway addresses;
            // masqueraded so replies return through the host.
            #expect(try await lab.probe(from: "a2", to: host, port: 8080) == "a1 10.211.1.1")
            #expect(try await lab.probe(from: "a1", to: host, port: 8080) == "a1 10.211.1.1")
            #expect(try await lab.probe(from: "a3", to: Self.gatewayA, port: 8080) == "a1 10.211.1.1")
            #expect(try await lab.probe(from: "a2", to: host, port: 5353, proto: .udp) == "a2 10.211.1.1")
            // icc=false keeps published ports reachable from their own bridge.
            #expect(try await lab.probe(from: "b2", to: host, port: 8081) == "b1 10.211.2.1")

            // As in Docker 20.10, isolation wins over publication between bridges.
            #expect(try await lab.probe(from: "b1", to: host, port: 8080) == nil)
            #expect(try await lab.probe(from: "a1", to: host, port: 8081) == nil)
            // Nothing is published on an internal network.
            #expect(try await lab.probe(from: "outside", to: host, port: 9000) == nil)
        }
    }

    @Test("outbound traffic is masqueraded to the host's address unless the network turns it off")
    func masquerade() async throws {
        try await NetnsLab.with { lab in
            try await lab.buildStandardTopology()
            let applied = try await lab.nft(Self.ruleset(table: lab.table).render())
            try #require(applied.succeeded, "\(applied.stderr)")

            #expect(try await lab.probe(from: "a1", to: NetnsLab.outside, port: Self.port) == "outside 10.212.0.1")
            #expect(try await lab.probe(from: "a3", to: NetnsLab.outside, port: NetnsLab.udpPort, proto: .udp) == "outside 10.212.0.1")
            // sh-b has masquerade off: the peer is the container, and its replies come back (established).
            #expect(try await lab.probe(from: "b1", to: NetnsLab.outside, port: Self.port) == "outside 10.211.2.2")
        }
    }

    @Test("re-applying is idempotent, a new script replaces the table, removal leaves no table")
    func replaceAndRemove() async throws {
        try await NetnsLab.with { lab in
            try await lab.buildStandardTopology()
            // Somebody else's table in the same namespace must survive everything we do.
            try #require(try await lab.nft("table ip hostfw {\n\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n\t}\n}\n").succeeded)

            let ruleset = Self.ruleset(table: lab.table)
            try #require(try await lab.nft(ruleset.render()).succeeded)
            let first = try #require(try await lab.listTable())
            // What the kernel holds is exactly what we rendered (minus the preamble and comments).
            #expect(first == Self.withoutPreambleAndComments(ruleset.render()))

            try #require(try await lab.nft(ruleset.render()).succeeded)
            #expect(try await lab.listTable() == first)
            #expect(try await lab.probe(from: "outside", to: NetnsLab.hostOutside, port: 8080) == "a1 10.212.0.2")

            // Replacing with fewer publications withdraws the others at once.
            var smaller = ruleset
            smaller.publications.removeAll { $0.hostPort == 8080 }
            try #require(try await lab.nft(smaller.render()).succeeded)
            #expect(try await lab.listTable() == Self.withoutPreambleAndComments(smaller.render()))
            #expect(try await lab.probe(from: "outside", to: NetnsLab.hostOutside, port: 8080) == nil)
            #expect(try await lab.probe(from: "outside", to: NetnsLab.hostOutside, port: 9090) == "a2 10.212.0.2")

            try #require(try await lab.nft(HostRuleset.removal(table: lab.table)).succeeded)
            #expect(try await lab.listTable() == nil)
            let tables = try await lab.exec("host", ["nft", "list", "tables"]).stdout
            #expect(tables == "table ip hostfw\n")
            // Removing an absent table succeeds too.
            #expect(try await lab.nft(HostRuleset.removal(table: lab.table)).succeeded)
            // Without the table the outside reaches containers directly again (routing is untouched).
            #expect(try await lab.probe(from: "outside", to: Self.a1, port: Self.port) == "a1 10.212.0.2")
        }
    }

    /// The rendered table as `nft list table` prints it: the table block only, without `#` comment lines.
    static func withoutPreambleAndComments(_ script: String) -> String {
        let lines = script.split(separator: "\n", omittingEmptySubsequences: false)
        let start = lines.firstIndex { $0.hasSuffix(" {") && $0.hasPrefix("table ") } ?? 0
        return lines[start...]
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
            .joined(separator: "\n")
    }
}
