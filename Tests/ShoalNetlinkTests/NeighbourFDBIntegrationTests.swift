import ShoalTestSupport
import Testing
import ShoalNetlink

@Suite struct NeighbourFDBIntegrationTests {
    @Test func permanentNeighboursReplaceAndDelete() async throws {
        try await TestRun.with("nl") { run in
            let ns = try await TestNamespace(run)
            let session = try ns.session()
            try session.linkAddVeth(name: "eth0", peerName: "peer0")
            let eth0 = try #require(try session.linkIndex(name: "eth0"))

            try session.neighbourAdd(index: eth0, address: ipBytes("10.1.0.5"), mac: macBytes("02:42:0a:01:00:05"))
            // replace semantics: repeating with another MAC converges instead of failing
            try session.neighbourAdd(index: eth0, address: ipBytes("10.1.0.5"), mac: macBytes("02:42:0a:01:00:06"))
            try session.neighbourAdd(index: eth0, address: ipBytes("fd00::5"), mac: macBytes("02:42:0a:01:00:07"))
            let shown = try await ns.ipJSON([IPNeighbour].self, "neigh", "show", "dev", "eth0")
            #expect(shown.count == 2)
            #expect(shown.contains { $0.dst == "10.1.0.5" && $0.lladdr == "02:42:0a:01:00:06" && $0.state == ["PERMANENT"] })
            #expect(shown.contains { $0.dst == "fd00::5" && $0.lladdr == "02:42:0a:01:00:07" })

            try session.neighbourDelete(index: eth0, address: ipBytes("10.1.0.5"))
            try session.neighbourDelete(index: eth0, address: ipBytes("fd00::5"))
            #expect(try await ns.ipJSON([IPNeighbour].self, "neigh", "show", "dev", "eth0").isEmpty)
        }
    }

    @Test func vxlanFloodListAndMACEntries() async throws {
        try await TestRun.with("nl") { run in
            let ns = try await TestNamespace(run)
            let session = try ns.session()
            try session.linkAddVXLAN(name: "vxlan0", vni: 100, local: ipBytes("10.0.0.1"), port: 4789, underlayIndex: nil,
                                     learning: false, mtu: 1450)
            let vxlan = try #require(try session.linkIndex(name: "vxlan0"))
            let flood: [UInt8] = [0, 0, 0, 0, 0, 0]
            let mac = macBytes("02:42:0a:00:01:09")

            try session.fdbAppend(index: vxlan, mac: flood, destination: ipBytes("10.0.0.2"))
            try session.fdbAppend(index: vxlan, mac: flood, destination: ipBytes("10.0.0.3"))
            try session.fdbAppend(index: vxlan, mac: mac, destination: ipBytes("10.0.0.2"))
            // neighbour entry on the overlay device, as an overlay network pairs with each FDB entry
            try session.neighbourAdd(index: vxlan, address: ipBytes("10.10.0.9"), mac: mac)

            let fdb = try await ns.bridgeJSON([BridgeFDB].self, "fdb", "show", "dev", "vxlan0")
            let remotes = fdb.filter { $0.dst != nil }
            #expect(Set(remotes.map { "\($0.mac) \($0.dst!)" }) == [
                "00:00:00:00:00:00 10.0.0.2", "00:00:00:00:00:00 10.0.0.3", "02:42:0a:00:01:09 10.0.0.2",
            ])
            #expect(remotes.allSatisfy { $0.state == "permanent" && $0.flags == ["self"] })
            #expect(try await ns.ipJSON([IPNeighbour].self, "neigh", "show", "dev", "vxlan0")
                .contains { $0.dst == "10.10.0.9" && $0.lladdr == "02:42:0a:00:01:09" })

            try session.fdbDelete(index: vxlan, mac: flood, destination: ipBytes("10.0.0.2"))
            try session.fdbDelete(index: vxlan, mac: mac, destination: ipBytes("10.0.0.2"))
            let left = try await ns.bridgeJSON([BridgeFDB].self, "fdb", "show", "dev", "vxlan0").filter { $0.dst != nil }
            #expect(left.map { "\($0.mac) \($0.dst!)" } == ["00:00:00:00:00:00 10.0.0.3"])
        }
    }
}
