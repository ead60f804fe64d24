import Foundation
import ShoalIPAM
import ShoalNetlink
import ShoalOS
import Testing
@testable import ShoalNetwork

/// The overlay data path on the real kernel: two "hosts" (network namespaces joined by a veth pair as their
/// underlay), each with the overlay's bridge and VXLAN device and one container sandbox on it. Containers on the
/// two hosts reach each other only once each host has the other's peer entry, and no longer once it is withdrawn.
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
        let c1 = try await namespace("c1"), c2 = try await namespace("c2")

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
        let containers = [(c1, IPv4Address(10, 99, 0, 2)), (c2, IPv4Address(10, 99, 0, 3))]
        let networkID = "0123456789abcdef"
        for (host, (sandbox, address)) in zip(hosts, containers) {
            let overlay = OverlaySettings(networkID: networkID, vni: 4097, local: host.underlay, mtu: 1450)
            try host.dataplane.ensureOverlay(overlay)
            try host.dataplane.ensureOverlay(overlay)  // converges
            try host.dataplane.addInterface(InterfaceSettings(
                bridge: overlay.bridge, hostName: "vo" + String(address.octets[3]), containerName: "eth0",
                address: address, prefixLength: 24, mac: MACAddress(derivedFrom: address), mtu: 1450,
                defaultGateway: nil), sandbox: sandbox)
            let lo = try NetlinkSession(namespacePath: sandbox)
            try lo.linkSetUp(index: try #require(try lo.linkIndex(name: "lo")))
            lo.close()
        }
        let peers = [OverlayPeer(address: containers[0].1, mac: MACAddress(derivedFrom: containers[0].1), host: u1),
                     OverlayPeer(address: containers[1].1, mac: MACAddress(derivedFrom: containers[1].1), host: u2)]
        let overlays = hosts.map { OverlaySettings(networkID: networkID, vni: 4097, local: $0.underlay, mtu: 1450) }

        // Without peer entries nothing crosses: no learning, no flooding.
        #expect(try await ping(from: c1, containers[1].1) == false)

        try hosts[0].dataplane.addOverlayPeer(peers[1], on: overlays[0])
        try hosts[0].dataplane.addOverlayPeer(peers[1], on: overlays[0])  // converges
        try hosts[1].dataplane.addOverlayPeer(peers[0], on: overlays[1])
        #expect(try await ping(from: c1, containers[1].1, attempts: 5))
        #expect(try await ping(from: c2, containers[0].1, attempts: 5))

        hosts[0].dataplane.removeOverlayPeer(peers[1], on: overlays[0])
        #expect(try await ping(from: c1, containers[1].1) == false)

        hosts[1].dataplane.removeOverlay(overlays[1])
        #expect(hosts[1].dataplane.linkExists(overlays[1].vxlan) == false)
        #expect(hosts[1].dataplane.linkExists(overlays[1].bridge) == false)
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
