import Glibc
import ShoalTestSupport
import Testing
@testable import ShoalNetlink

/// Root tests against the real kernel. Every link is created inside namespaces the test made itself
/// (`shnl-<random>`), removed by the test run's cleanup even when an expectation fails.
@Suite struct LinkIntegrationTests {
    /// A bridge made without an address takes its lowest port's, so a port joining moves it; one made with an
    /// address keeps it (what ShoalNetwork's bridges rely on: the sandboxes' neighbour entries stay right).
    @Test func aBridgeGivenAnAddressKeepsItWhenPortsJoin() async throws {
        try await TestRun.with("nl") { run in
            let host = try await TestNamespace(run)
            let container = try await TestNamespace(run)
            let session = try host.session()
            defer { session.close() }
            let fixed: [UInt8] = [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff]  // above any random veth address
            try session.linkAddBridge(name: "auto0")
            try session.linkAddBridge(name: "fixed0", address: fixed)
            let containerFD = try container.openFD()
            defer { _ = Glibc.close(containerFD) }
            for (bridge, veth, peer) in [("auto0", "va", "eth0"), ("fixed0", "vf", "eth1")] {
                try session.linkAddVeth(name: veth, peerName: peer, peerNamespaceFD: containerFD)
                let master = try #require(try session.linkIndex(name: bridge))
                try session.linkSetMaster(index: try #require(try session.linkIndex(name: veth)), masterIndex: master)
            }
            let links = try session.links()
            func mac(_ name: String) -> [UInt8]? { links.first { $0.name == name }?.mac }
            #expect(mac("auto0") == mac("va"), "a bridge left to the kernel follows its port")
            #expect(mac("fixed0") == fixed && mac("vf") != fixed)
        }
    }

    @Test func bridgeAndVethWithPeerInAnotherNamespace() async throws {
        try await TestRun.with("nl") { run in
            let host = try await TestNamespace(run)
            let container = try await TestNamespace(run)
            let session = try host.session()
            defer { session.close() }

            try session.linkAddBridge(name: "br0", mtu: 1400)
            let containerFD = try container.openFD()
            defer { _ = Glibc.close(containerFD) }
            try session.linkAddVeth(name: "veth0", peerName: "eth0", peerNamespaceFD: containerFD, mtu: 1400)
            let bridge = try #require(try session.linkIndex(name: "br0"))
            let veth = try #require(try session.linkIndex(name: "veth0"))
            try session.linkSetMaster(index: veth, masterIndex: bridge)
            try session.linkSetUp(index: veth)
            try session.linkSetUp(index: bridge)

            // Our dump.
            let links = try session.links()
            #expect(links.map(\.name).sorted() == ["br0", "lo", "veth0"])
            let br = try #require(links.first { $0.name == "br0" })
            let v = try #require(links.first { $0.name == "veth0" })
            #expect(br.kind == "bridge" && br.isUp && br.index == bridge && br.mac.count == 6)
            #expect(v.kind == "veth" && v.isUp && v.masterIndex == bridge && v.mtu == 1400)
            #expect(try session.link(name: "veth0") == v)

            // iproute2's view.
            let ipLinks = try await host.ipJSON([IPLink].self, "-d", "link", "show")
            let ipVeth = try #require(ipLinks.first { $0.ifname == "veth0" })
            #expect(ipVeth.master == "br0" && ipVeth.flags.contains("UP") && ipVeth.mtu == 1400)
            #expect(ipVeth.linkinfo?.info_kind == "veth" && ipVeth.ifindex == veth)
            #expect(ipLinks.first { $0.ifname == "br0" }?.address == Format.mac(br.mac))

            // The peer was created directly in the other namespace, with the same MTU.
            let peer = try #require(try await container.ipJSON([IPLink].self, "link", "show", "dev", "eth0").first)
            #expect(peer.mtu == 1400)
            let containerSession = try container.session()
            #expect(try containerSession.link(name: "eth0")?.kind == "veth")
            #expect(try await host.ipJSON([IPLink].self, "link", "show").contains { $0.ifname == "eth0" } == false)

            // Delete both and see them gone (deleting one veth end removes the pair).
            try session.linkDelete(index: veth)
            #expect(try session.linkDelete(name: "br0"))
            #expect(try session.links().map(\.name) == ["lo"])
            #expect(try await container.ipJSON([IPLink].self, "link", "show").map(\.ifname) == ["lo"])
        }
    }

    @Test func linkSettersChangeWhatIpShows() async throws {
        try await TestRun.with("nl") { run in
            let ns = try await TestNamespace(run)
            let other = try await TestNamespace(run)
            let session = try ns.session()

            try session.linkAddVeth(name: "a0", peerName: "a1")
            let index = try #require(try session.linkIndex(name: "a0"))
            try session.linkSetMTU(index: index, mtu: 1280)
            try session.linkSetAddress(index: index, mac: [2, 0, 0, 0, 0, 0x42])
            try session.linkSetName(index: index, name: "renamed0")
            try session.linkSetUp(index: index)
            var shown = try #require(try await ns.ipJSON([IPLink].self, "link", "show", "dev", "renamed0").first)
            #expect(shown.mtu == 1280 && shown.address == "02:00:00:00:00:42" && shown.flags.contains("UP"))
            #expect(shown.ifindex == index)
            try session.linkSetDown(index: index)
            shown = try #require(try await ns.ipJSON([IPLink].self, "link", "show", "dev", "renamed0").first)
            #expect(!shown.flags.contains("UP"))
            #expect(try session.link(name: "a0") == nil)

            let otherFD = try other.openFD()
            defer { _ = Glibc.close(otherFD) }
            try session.linkSetNamespace(index: index, namespaceFD: otherFD)
            #expect(try session.linkIndex(name: "renamed0") == nil)
            #expect(try other.session().link(name: "renamed0")?.mac == [2, 0, 0, 0, 0, 0x42])
        }
    }

    @Test func vxlanOverAnUnderlay() async throws {
        try await TestRun.with("nl") { run in
            let ns = try await TestNamespace(run)
            let session = try ns.session()
            try session.linkAddVeth(name: "under0", peerName: "under1")
            let under = try #require(try session.linkIndex(name: "under0"))
            try session.addressAdd(index: under, address: ipBytes("10.0.0.1"), prefixLength: 24)
            try session.linkAddVXLAN(name: "vxlan0", vni: 4242, local: ipBytes("10.0.0.1"), port: 4789,
                                     underlayIndex: under, learning: false, mtu: 1450)
            let vxlan = try #require(try session.link(name: "vxlan0"))
            #expect(vxlan.kind == "vxlan" && vxlan.mtu == 1450)
            let details = try await Shell.must(["ip", "-n", ns.name, "-d", "link", "show", "dev", "vxlan0"])
            #expect(details.contains("vxlan id 4242 local 10.0.0.1 dev under0"))
            #expect(details.contains("dstport 4789") && details.contains("nolearning"))
        }
    }

    @Test func macvlanOnAVXLANDeviceInsideAnotherNamespace() async throws {
        try await TestRun.with("nl") { run in
            let host = try await TestNamespace(run)
            let container = try await TestNamespace(run)
            let session = try host.session()
            defer { session.close() }
            try session.linkAddVXLAN(name: "vxlan0", vni: 4097, port: 4789, learning: false, proxy: true, mtu: 1450)
            let vxlan = try #require(try session.linkIndex(name: "vxlan0"))
            let containerFD = try container.openFD()
            defer { _ = Glibc.close(containerFD) }
            try session.linkAddMacvlan(name: "eth0", parentIndex: vxlan, namespaceFD: containerFD, mtu: 1450)

            // Made inside the other namespace (nothing new on the host), on the host's VXLAN device.
            #expect(try session.links().map(\.name).sorted() == ["lo", "vxlan0"])
            let inside = try container.session()
            defer { inside.close() }
            let eth0 = try #require(try inside.link(name: "eth0"))
            #expect(eth0.kind == "macvlan" && eth0.mtu == 1450)
            let details = try await Shell.must(["ip", "-n", container.name, "-d", "link", "show", "dev", "eth0"])
            #expect(details.contains("macvlan mode bridge"))
            #expect(details.contains("eth0@if\(vxlan)"))

            // A parent's macvlans go with it.
            #expect(try session.linkDelete(name: "vxlan0"))
            #expect(try inside.link(name: "eth0") == nil)
        }
    }

    @Test func dumpsSpanningManyDatagramsAndConcurrentCallers() async throws {
        try await TestRun.with("nl") { run in
            let ns = try await TestNamespace(run)
            let session = try ns.session()
            // 4 callers × 20 veth pairs = 161 links: the dump needs several datagrams, the mutex serialises callers.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        for i in 0..<20 { try session.linkAddVeth(name: "w\(worker)v\(i)", peerName: "w\(worker)p\(i)") }
                    }
                }
                try await group.waitForAll()
            }
            let links = try session.links()
            #expect(links.count == 161)
            #expect(Set(links.map(\.index)).count == 161)
            #expect(try await ns.ipJSON([IPLink].self, "link", "show").count == 161)
        }
    }

    @Test func callerThreadNamespaceSessionOnlyReads() throws {
        // init() uses the calling thread's namespace (the host's here): read only, never change anything.
        let session = try NetlinkSession()
        defer { session.close() }
        let lo = try #require(try session.link(name: "lo"))
        #expect(lo.index == 1 && lo.isUp)
        #expect(try session.links().contains { $0.name == "lo" })
    }
}

/// Bridge-port settings through RTM_SETLINK/AF_BRIDGE, checked against `bridge -d link show`.
@Suite struct BridgePortIntegrationTests {
    @Test func hairpinModeIsSetAndCleared() async throws {
        try await TestRun.with("nl") { run in
            let ns = try await TestNamespace(run)
            let session = try ns.session()
            defer { session.close() }
            try session.linkAddBridge(name: "br0")
            try session.linkAddVeth(name: "veth0", peerName: "veth1")
            let bridge = try #require(try session.linkIndex(name: "br0"))
            let veth = try #require(try session.linkIndex(name: "veth0"))
            try session.linkSetMaster(index: veth, masterIndex: bridge)
            func hairpin() async throws -> String {
                try await Shell.must(["ip", "netns", "exec", ns.name, "bridge", "-d", "link", "show", "dev", "veth0"])
            }
            #expect(try await hairpin().contains("hairpin off"))
            try session.bridgePortSetHairpin(index: veth, on: true)
            let shown = try await hairpin()
            #expect(shown.contains("hairpin on"), "\(shown)")
            try session.bridgePortSetHairpin(index: veth, on: false)
            #expect(try await hairpin().contains("hairpin off"))
            // Not a bridge port: the kernel refuses.
            let loose = try #require(try session.linkIndex(name: "veth1"))
            #expect(throws: NetlinkError.self) { try session.bridgePortSetHairpin(index: loose, on: true) }
        }
    }
}
