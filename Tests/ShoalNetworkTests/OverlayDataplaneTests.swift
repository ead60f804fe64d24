import Foundation
import ShoalIPAM
import ShoalNetlink
import ShoalOS
import Testing
@testable import ShoalNetwork

/// The overlay data path on the real kernel: two "hosts" (network namespaces joined by a veth pair as their
/// underlay), each with the overlay's VXLAN device and container sandboxes with a macvlan on it. Containers on
/// the two hosts reach each other only once each host has the other's peer entry, and no longer once it is
/// withdrawn; two containers on one host reach each other without any.
/// Root only; everything lives in namespaces this test makes and removes.
@Suite(.serialized) struct OverlayDataplaneTests {
    struct Host {
        let path: String
        let dataplane: BridgeDataplane
        let underlay: IPv4Address
    }

    @Test func containersOnTwoHostsTalkThroughVXLANOnlyWithPeerEntries() async throws {
        let run = "\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        let directory = "/run/shoal-overlay-test-\(run)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var made: [String] = []
        defer {
            for path in made.reversed() { NetworkNamespace.remove(at: path) }
            try? FileManager.default.removeItem(atPath: directory)
        }
        func namespace(_ name: String) async throws -> String {
            let path = directory + "/" + name
            try await NetworkNamespace.create(at: path)
            made.append(path)
            return path
        }
        let h1 = try await namespace("h1"), h2 = try await namespace("h2")
        let c1 = try await namespace("c1"), c2 = try await namespace("c2"), c3 = try await namespace("c3")

        // The underlay: u1 (192.0.2.1/24) in h1, u2 (192.0.2.2/24) in h2.
        let u1 = IPv4Address(192, 0, 2, 1), u2 = IPv4Address(192, 0, 2, 2)
        let s1 = try NetlinkSession(namespacePath: h1), s2 = try NetlinkSession(namespacePath: h2)
        defer { s1.close(); s2.close() }
        let h2fd = open(h2, O_RDONLY | O_CLOEXEC)
        try #require(h2fd >= 0)
        defer { close(h2fd) }
        try s1.linkAddVeth(name: "u1", peerName: "u2", peerNamespaceFD: h2fd)
        for (session, name, address) in [(s1, "u1", u1), (s2, "u2", u2)] {
            let index = try #require(try session.linkIndex(name: name))
            try session.addressAdd(index: index, address: address.octets, prefixLength: 24)
            try session.linkSetUp(index: index)
        }

        let hosts = [Host(path: h1, dataplane: try BridgeDataplane(namespacePath: h1), underlay: u1),
                     Host(path: h2, dataplane: try BridgeDataplane(namespacePath: h2), underlay: u2)]
        #expect(hosts[0].dataplane.overlayMTU(underlay: u1) == 1450)
        // c1 on h1, c2 and c3 on h2.
        let containers = [(c1, IPv4Address(10, 99, 0, 2)), (c2, IPv4Address(10, 99, 0, 3)),
                          (c3, IPv4Address(10, 99, 0, 4))]
        let networkID = "0123456789abcdef"
        for host in hosts {
            let overlay = OverlaySettings(networkID: networkID, vni: 4097, local: host.underlay, mtu: 1450)
            try host.dataplane.ensureOverlay(overlay)
            try host.dataplane.ensureOverlay(overlay)  // converges
        }
        let driver = OverlayDriver(dataplane: hosts[0].dataplane)
        for (host, (sandbox, address)) in zip([hosts[0], hosts[1], hosts[1]], containers) {
            try OverlayDriver(dataplane: host.dataplane).plug(InterfaceSettings(
                bridge: "vx-0123456789ab", hostName: "unused", containerName: "eth0", address: address,
                prefixLength: 24, mac: MACAddress(derivedFrom: address), mtu: 1450, defaultGateway: nil),
                sandbox: sandbox)
            let inside = try NetlinkSession(namespacePath: sandbox)
            try inside.linkSetUp(index: try #require(try inside.linkIndex(name: "lo")))
            let eth0 = try #require(try inside.link(name: "eth0"))
            #expect(eth0.kind == "macvlan" && eth0.mtu == 1450 && eth0.mac == MACAddress(derivedFrom: address).bytes)
            inside.close()
        }
        // Nothing on the hosts but the underlay and the VXLAN device: no bridge, no host end.
        #expect(hosts[1].dataplane.linkExists("vx-0123456789ab"))
        #expect(try s2.links().map(\.name).sorted() == ["lo", "u2", "vx-0123456789ab"])
        let peers = [OverlayPeer(address: containers[0].1, mac: MACAddress(derivedFrom: containers[0].1), host: u1),
                     OverlayPeer(address: containers[1].1, mac: MACAddress(derivedFrom: containers[1].1), host: u2)]
        let overlays = hosts.map { OverlaySettings(networkID: networkID, vni: 4097, local: $0.underlay, mtu: 1450) }

        // Without peer entries nothing crosses: no learning, no flooding. On one host the macvlans meet directly.
        #expect(try await ping(from: c1, containers[1].1) == false)
        #expect(try await ping(from: c2, containers[2].1, attempts: 5))

        try hosts[0].dataplane.addOverlayPeer(peers[1], on: overlays[0])
        try hosts[0].dataplane.addOverlayPeer(peers[1], on: overlays[0])  // converges
        try hosts[1].dataplane.addOverlayPeer(peers[0], on: overlays[1])
        #expect(try await ping(from: c1, containers[1].1, attempts: 5))
        #expect(try await ping(from: c2, containers[0].1, attempts: 5))

        hosts[0].dataplane.removeOverlayPeer(peers[1], on: overlays[0])
        #expect(try await ping(from: c1, containers[1].1) == false)

        // Unplugging removes the interface inside the sandbox (and is quiet the second time).
        driver.unplug(hostInterface: "", containerInterface: "eth0", sandbox: c1)
        driver.unplug(hostInterface: "", containerInterface: "eth0", sandbox: c1)
        let inside = try NetlinkSession(namespacePath: c1)
        #expect(try inside.link(name: "eth0") == nil)
        inside.close()

        // Removing the overlay takes its containers' macvlans with it.
        hosts[1].dataplane.removeOverlay(overlays[1])
        #expect(hosts[1].dataplane.linkExists(overlays[1].vxlan) == false)
        let inC2 = try NetlinkSession(namespacePath: c2)
        #expect(try inC2.link(name: "eth0") == nil)
        inC2.close()
    }

    /// An ICMP echo from inside `sandbox` answered (busybox ping, 1 s each; up to `attempts` tries, for a loaded
    /// machine).
    func ping(from sandbox: String, _ address: IPv4Address, attempts: Int = 1) async throws -> Bool {
        for _ in 0..<attempts {
            let result = try await Command.run("/usr/bin/nsenter", ["--net=\(sandbox)", "/bin/busybox", "ping", "-c",
                                                                    "1", "-W", "1", address.description])
            if result.status == .exited(0) { return true }
        }
        return false
    }
}
