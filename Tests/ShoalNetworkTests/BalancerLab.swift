import Foundation
import ShoalIPAM
import ShoalOS
import ShoalTestSupport
@testable import ShoalNetwork

/// One overlay on a throwaway "host" namespace, as a Shoal host builds it (a VXLAN device, each sandbox a macvlan
/// on it), with a client sandbox and backend sandboxes that each run a TCP server answering its own name. All in
/// namespaces the lab makes under the run's directory; the run's cleanup kills the servers (by pidfd) and then
/// deletes the namespaces, which takes every link with them, even when the test fails.
final class BalancerLab: Sendable {
    static let subnet = "10.98.0."
    static let client = IPv4Address(10, 98, 0, 2)
    static let vip = "10.98.0.100"
    static let port: UInt16 = 7080

    /// Backend name → (sandbox path, address).
    let backends: [String: (sandbox: String, address: String)]
    let clientSandbox: String
    /// The servers' pids (each is the python3 in its sandbox: nsenter execs it).
    let serverPIDs: [String: pid_t]

    /// Builds the lab with `count` backends named b1, b2, …
    static func make(_ run: TestRun, backends count: Int) async throws -> BalancerLab {
        var made: [String] = []
        run.onCleanup("delete the lab's namespaces") {
            for path in made.reversed() { NetworkNamespace.remove(at: path) }
        }
        let host = run.path("ns-host")
        try await NetworkNamespace.create(at: host)
        made.append(host)
        let dataplane = try BridgeDataplane(namespacePath: host)
        // The underlay address is only the VXLAN device's source: every sandbox is on this one host.
        let overlay = OverlaySettings(networkID: "b41a9ce7e51f00", vni: 4242, local: IPv4Address(192, 0, 2, 1), mtu: 1450)
        try dataplane.ensureOverlay(overlay)

        func sandbox(_ name: String, _ address: IPv4Address) async throws -> String {
            let path = run.path("ns-" + name)
            try await dataplane.createSandbox(at: path)
            made.append(path)
            try OverlayDriver(dataplane: dataplane).plug(InterfaceSettings(
                bridge: overlay.vxlan, hostName: "unused", containerName: "eth0", address: address, prefixLength: 24,
                mac: MACAddress(derivedFrom: address), mtu: overlay.mtu, defaultGateway: nil), sandbox: path)
            return path
        }
        let clientSandbox = try await sandbox("client", client)
        let script = run.path("server.py")
        try serverScript.write(toFile: script, atomically: true, encoding: .utf8)
        var backends: [String: (sandbox: String, address: String)] = [:]
        var pids: [String: pid_t] = [:]
        for index in 1...count {
            let name = "b\(index)", address = IPv4Address(10, 98, 0, UInt8(10 + index))
            let path = try await sandbox(name, address)
            backends[name] = (path, address.description)
            let ready = run.path("ready-" + name)
            let server = try run.startProcess("server \(name)", "/usr/bin/nsenter", [
                "--net=" + path, "--", "/usr/bin/python3", script, name, String(port), ready,
            ], log: run.path("server-\(name).log"))
            pids[name] = server.pid
            for _ in 0..<200 where !FileManager.default.fileExists(atPath: ready) {
                try await Task.sleep(for: .milliseconds(25))
            }
            guard FileManager.default.fileExists(atPath: ready) else {
                throw ShellError(command: "server \(name)", status: -1, stderr: "not listening after 5 s")
            }
        }
        return BalancerLab(backends: backends, clientSandbox: clientSandbox, serverPIDs: pids)
    }

    private init(backends: [String: (sandbox: String, address: String)], clientSandbox: String,
                 serverPIDs: [String: pid_t]) {
        self.backends = backends
        self.clientSandbox = clientSandbox
        self.serverPIDs = serverPIDs
    }

    /// `nsenter --net=SANDBOX nft list table ip shoal_lb`, or nil when there is no such table.
    func listBalancerTable(in sandbox: String) async throws -> String? {
        let result = try await Command.run("/usr/bin/nsenter", ["--net=" + sandbox, "--", NFTCommand.nft, "list",
                                                                "table", "ip", "shoal_lb"])
        return result.status == .exited(0) ? result.stdoutText : nil
    }

    /// Each connection is answered with "NAME\n" at once (NAME "-": the peer's "address:port"), and every line it
    /// then receives with the same. One thread and a selector: no thread start per connection to blur the
    /// benchmark's figures. Arguments: NAME PORT READY-FILE.
    static let serverScript = """
        import selectors, socket, sys
        name, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("0.0.0.0", port))
        listener.listen(1024)
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ)
        open(ready, "w").close()
        while True:
            for key, _ in selector.select():
                s = key.fileobj
                if s is listener:
                    c, peer = listener.accept()
                    answer = (("%s:%d" % peer if name == "-" else name) + "\\n").encode()
                    try:
                        c.sendall(answer)
                        selector.register(c, selectors.EVENT_READ, answer)
                    except OSError:
                        c.close()
                    continue
                try:
                    data = s.recv(4096)
                    if data:
                        s.sendall(key.data * data.count(b"\\n"))
                except OSError:
                    data = b""
                if not data:
                    selector.unregister(s)
                    s.close()

        """
}
