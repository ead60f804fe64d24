import Foundation
import Glibc
import ShoalIPAM
import ShoalNFTables
import ShoalOS
import ShoalTestSupport
import Testing
@testable import ShoalNetwork

/// The routing mesh keeps the client's address, on the real kernel: two ingress sandboxes (as on two nodes) and a
/// task on one overlay, as a Shoal host builds it (VXLAN, each sandbox a macvlan on it). Each ingress sandbox has
/// its own client behind a veth and DNATs its published port to the task with IngressRuleset, which does not
/// masquerade. The task's default route leads nowhere (a veth into its own namespace), as a task's docker_gwbridge route is no
/// way to a mesh client. Its server answers each connection with the address it sees.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for network namespaces and nft"))
struct MeshReturnPathTests {
    static let task = IPv4Address(10, 98, 0, 11)
    static let port: UInt16 = 7080, published: UInt16 = 8080

    @Test("a task sees each mesh client's own address and answers it through the sandbox that sent it")
    func clientAddressKeptAndRepliesFindTheirSandbox() async throws {
        try await TestRun.with("mret") { run in
            var made: [String] = []
            run.onCleanup("delete the lab's namespaces") {
                for path in made.reversed() { NetworkNamespace.remove(at: path) }
            }
            func namespace(_ name: String) async throws -> String {
                let path = run.path("ns-" + name)
                try await NetworkNamespace.create(at: path)
                made.append(path)
                return path
            }
            let host = try await namespace("host")
            let dataplane = try BridgeDataplane(namespacePath: host)
            let overlay = OverlaySettings(networkID: "e1a7c0ffee0001", vni: 4343, local: IPv4Address(192, 0, 2, 1),
                                          mtu: 1450)
            try dataplane.ensureOverlay(overlay)
            func onOverlay(_ name: String, _ address: IPv4Address) async throws -> String {
                let path = run.path("ns-" + name)
                try await dataplane.createSandbox(at: path)
                made.append(path)
                try OverlayDriver(dataplane: dataplane).plug(InterfaceSettings(
                    bridge: overlay.vxlan, hostName: "unused", containerName: "eth0", address: address,
                    prefixLength: 24, mac: MACAddress(derivedFrom: address), mtu: overlay.mtu, defaultGateway: nil),
                    sandbox: path)
                return path
            }

            // The task: eth0 on the overlay, its default route through a veth whose other end leads nowhere (the
            // wrong way back).
            let task = try await onOverlay("task", Self.task)
            try await Shell.sh("""
                nsenter --net=\(task) sh -ec 'ip link add eth1 type veth peer name eth1p; ip addr add 10.97.0.2/24 dev eth1
                ip link set eth1 up; ip link set eth1p up; ip route add default via 10.97.0.1'
                """)
            let script = run.path("peer.py")
            try BalancerLab.serverScript.write(toFile: script, atomically: true, encoding: .utf8)
            let ready = run.path("ready")
            _ = try run.startProcess("peer server", "/usr/bin/nsenter", [
                "--net=" + task, "--", "/usr/bin/python3", script, "-", String(Self.port), ready,
            ], log: run.path("server.log"))
            for _ in 0..<200 where !FileManager.default.fileExists(atPath: ready) {
                try await Task.sleep(for: .milliseconds(25))
            }
            try #require(FileManager.default.fileExists(atPath: ready), "the task's server is not listening")

            // Two ingress sandboxes, each with its client on a veth (10.96.N.2 behind 10.96.N.1).
            var clients: [(namespace: String, address: String, sandbox: String)] = []
            for n in 1...2 {
                let sandbox = try await onOverlay("sbox\(n)", IPv4Address(10, 98, 0, UInt8(1 + n)))
                let client = try await namespace("client\(n)")
                try await Shell.sh("""
                    ip link add mr\(n)a netns \(client) type veth peer name eth1 netns \(sandbox)
                    nsenter --net=\(client) sh -ec 'ip link set mr\(n)a up; ip addr add 10.96.\(n).2/24 dev mr\(n)a
                    ip route add default via 10.96.\(n).1'
                    nsenter --net=\(sandbox) sh -ec 'ip link set eth1 up; ip addr add 10.96.\(n).1/24 dev eth1
                    sysctl -qw net.ipv4.ip_forward=1'
                    """)
                try await IngressMesh.apply(IngressRuleset(rules: [
                    IngressRule(proto: .tcp, publishedPort: Self.published, targetPort: Self.port,
                                backends: [Self.task.description]),
                ]), inNetns: sandbox)
                clients.append((client, "10.96.\(n).2", "10.96.\(n).1"))
            }

            // Without the return path the task's answer follows its default route and never arrives.
            let lost = try await ask(clients[0].sandbox, from: clients[0].namespace)
            #expect(lost.answer == nil, "\(lost)")

            try await MeshReturnPath.install(interface: "eth0", sandbox: task)
            try await MeshReturnPath.install(interface: "eth0", sandbox: task)  // converges

            // Each client is seen with its own address, through its own sandbox; a connection kept open from the
            // first still answers after the second sandbox has sent one.
            let first = try await ask(clients[0].sandbox, from: clients[0].namespace, keep: true)
            #expect(first.answer?.hasPrefix(clients[0].address + ":") == true, "\(first)")
            for (namespace, address, sandbox) in clients {
                let seen = try await ask(sandbox, from: namespace)
                #expect(seen.answer?.hasPrefix(address + ":") == true, "\(seen)")
            }
            if first.fd >= 0 {
                let again = try await NetworkNamespace.run(in: clients[0].namespace) { [fd = first.fd] in
                    defer { close(fd) }
                    return TCPProbe.ask(on: fd)
                }
                #expect(again == .answer(first.answer ?? "-"), "\(again)")
            }
        }
    }

    /// One connection to `sandbox`'s published port from the client namespace: the server's first line (the
    /// address it saw), and the socket when `keep` is set (else closed).
    private func ask(_ sandbox: String, from client: String, keep: Bool = false) async throws
        -> (answer: String?, fd: Int32)
    {
        try await NetworkNamespace.run(in: client) { () -> (String?, Int32) in
            let (fd, outcome) = TCPProbe.connect(sandbox, Self.published)
            guard case .answer(let line) = outcome else { return (nil, -1) }
            if keep { return (line, fd) }
            close(fd)
            return (line, -1)
        }
    }
}
