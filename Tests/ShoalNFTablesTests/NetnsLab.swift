import Foundation
import ShoalNFTables
import ShoalTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway "host" network namespace with bridges, "container" namespaces on them and an "outside" namespace,
/// all named with a run id. Nothing here touches the root namespace: links are created inside the host namespace
/// and their peers moved straight into the container namespaces. Made by `with`, whose cleanup kills the servers it
/// started (by their pidfds) and deletes every namespace it made, which also destroys their links, even when the
/// test fails.
final class NetnsLab {
    let id: String
    let run: TestRun
    let directory: URL
    let table: String
    private(set) var namespaces: [String: String] = [:]

    /// The standard topology (see `buildStandardTopology`).
    static let bridgeA = BridgeNetworkRules(bridge: "sh-a", subnet: "10.211.1.0/24")
    static let bridgeB = BridgeNetworkRules(bridge: "sh-b", subnet: "10.211.2.0/24", masquerade: false, interContainer: false)
    static let bridgeI = BridgeNetworkRules(bridge: "sh-i", subnet: "10.211.3.0/24", isInternal: true)
    /// Containers per bridge: role, address. The gateway of 10.211.N.0/24 is 10.211.N.1.
    static let containers: [(bridge: BridgeNetworkRules, role: String, address: String)] = [
        (bridgeA, "a1", "10.211.1.2"), (bridgeA, "a2", "10.211.1.3"), (bridgeA, "a3", "10.211.1.4"),
        (bridgeB, "b1", "10.211.2.2"), (bridgeB, "b2", "10.211.2.3"),
        (bridgeI, "i1", "10.211.3.2"), (bridgeI, "i2", "10.211.3.3"),
    ]
    /// The host's two addresses on the outside link, and the outside namespace's own.
    static let hostOutside = "10.212.0.1"
    static let hostOutsideSecond = "10.212.0.3"
    static let outside = "10.212.0.2"
    /// Every container and the outside namespace serve TCP and UDP on these ports.
    static let tcpPort = 7000
    static let udpPort = 7053

    /// Runs `body` with a new lab in a TestRun (its directory holds the scripts and logs); the run's cleanup tears
    /// the lab down whatever `body` did.
    static func with(_ body: (NetnsLab) async throws -> Void) async throws {
        try await TestRun.with("nft") { run in try await body(NetnsLab(run)) }
    }

    private init(_ run: TestRun) throws {
        id = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        table = "shoal_\(id)"
        self.run = run
        directory = run.directory
        try Self.serverScript.write(to: directory.appendingPathComponent("server.py"), atomically: true, encoding: .utf8)
        try Self.clientScript.write(to: directory.appendingPathComponent("client.py"), atomically: true, encoding: .utf8)
        run.onCleanup("delete the lab's namespaces") { [self] in await deleteNamespaces() }
    }

    var host: String { namespaces["host"]! }

    func ns(_ role: String) -> String { namespaces[role]! }

    /// `ip netns add snft-<id>-<role>` with `lo` up.
    @discardableResult
    func addNamespace(_ role: String) async throws -> String {
        let name = "snft-\(id)-\(role)"
        try await Shell.must(["ip", "netns", "add", name])
        namespaces[role] = name
        try await Shell.must(["ip", "-n", name, "link", "set", "lo", "up"])
        return name
    }

    /// `ip -n <namespace> …`
    func ip(_ role: String, _ arguments: String...) async throws {
        try await Shell.must(["ip", "-n", ns(role)] + arguments)
    }

    /// `ip netns exec <namespace> …`
    @discardableResult
    func exec(_ role: String, _ arguments: [String]) async throws -> CommandResult {
        try await Shell.run(["ip", "netns", "exec", ns(role), Shell.tool(arguments[0])] + arguments.dropFirst())
    }

    /// Host netns with bridges sh-a (10.211.1.0/24: a1 a2 a3), sh-b (10.211.2.0/24, icc off, no masquerade:
    /// b1 b2), sh-i (10.211.3.0/24, internal: i1 i2), and an outside namespace on out0 (host 10.212.0.1 and
    /// 10.212.0.3, outside 10.212.0.2) that has a route to 10.211.0.0/16 through the host.
    func buildStandardTopology() async throws {
        try await addNamespace("host")
        try await sysctl("net.ipv4.ip_forward=1")
        // Docker relies on br_netfilter; with it, bridged frames cross the IPv4 hooks (icc=false needs that).
        if FileManager.default.fileExists(atPath: "/proc/sys/net/bridge/bridge-nf-call-iptables") {
            try await sysctl("net.bridge.bridge-nf-call-iptables=1")
        }
        for network in [Self.bridgeA, Self.bridgeB, Self.bridgeI] {
            try await ip("host", "link", "add", network.bridge, "type", "bridge")
            try await ip("host", "addr", "add", gateway(of: network) + "/24", "dev", network.bridge)
            try await ip("host", "link", "set", network.bridge, "up")
            try await sysctl("net.ipv4.conf.\(network.bridge).route_localnet=1")
        }
        for (index, container) in Self.containers.enumerated() {
            let name = try await addNamespace(container.role)
            let port = "veth\(index)"
            try await ip("host", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", name)
            try await ip("host", "link", "set", port, "master", container.bridge.bridge)
            // Lets a container reach its own published port through a host address (see HostRuleset's doc).
            try await ip("host", "link", "set", port, "type", "bridge_slave", "hairpin", "on")
            try await ip("host", "link", "set", port, "up")
            try await ip(container.role, "addr", "add", container.address + "/24", "dev", "eth0")
            try await ip(container.role, "link", "set", "eth0", "up")
            try await ip(container.role, "route", "add", "default", "via", gateway(of: container.bridge))
        }
        let outside = try await addNamespace("outside")
        try await ip("host", "link", "add", "out0", "type", "veth", "peer", "name", "eth0", "netns", outside)
        try await ip("host", "addr", "add", Self.hostOutside + "/24", "dev", "out0")
        try await ip("host", "addr", "add", Self.hostOutsideSecond + "/24", "dev", "out0")
        try await ip("host", "link", "set", "out0", "up")
        try await ip("outside", "addr", "add", Self.outside + "/24", "dev", "eth0")
        try await ip("outside", "link", "set", "eth0", "up")
        try await ip("outside", "route", "add", "10.211.0.0/16", "via", Self.hostOutside)

        for container in Self.containers {
            try await startServer(in: container.role)
        }
        try await startServer(in: "outside")
    }

    func gateway(of network: BridgeNetworkRules) -> String {
        network.subnet.replacingOccurrences(of: ".0/24", with: ".1")
    }

    func sysctl(_ setting: String) async throws {
        try await Shell.must(["ip", "netns", "exec", host, Shell.tool("sysctl"), "-qw", setting])
    }

    /// Applies an nft script in the host namespace (`ip netns exec HOST nft -f FILE`).
    @discardableResult
    func nft(_ script: String, check: Bool = false) async throws -> CommandResult {
        let file = directory.appendingPathComponent("ruleset-\(UUID().uuidString).nft")
        try script.write(to: file, atomically: true, encoding: .utf8)
        return try await exec("host", ["nft"] + (check ? ["-c"] : []) + ["-f", file.path])
    }

    /// `nft list table ip <table>` in the host namespace, or nil when it does not exist.
    func listTable() async throws -> String? {
        let result = try await exec("host", ["nft", "list", "table", "ip", table])
        return result.succeeded ? result.stdout : nil
    }

    /// A TCP and UDP echo server answering "<role> <peer address>", killed by the run's cleanup; waits until it
    /// listens.
    private func startServer(in role: String) async throws {
        let ready = directory.appendingPathComponent("ready-\(role)")
        _ = try run.startProcess("server in \(role)", Shell.tool("ip"), [
            "netns", "exec", ns(role), Shell.tool("python3"), directory.appendingPathComponent("server.py").path,
            role, ready.path, logFile(role).path, "tcp:\(Self.tcpPort)", "udp:\(Self.udpPort)",
        ])
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: ready.path) {
            try await Task.sleep(for: .milliseconds(50))
        }
        guard FileManager.default.fileExists(atPath: ready.path) else {
            throw Shell.Failure(command: ["server in \(role)"], result: CommandResult(status: -1, stdout: "", stderr: "not ready after 5 s"))
        }
    }

    private func logFile(_ role: String) -> URL {
        directory.appendingPathComponent("seen-\(role)")
    }

    /// What the server in a namespace has received since the last `forgetSeen()`: "tcp|udp <peer>" lines.
    /// Shows a one-way drop that a failed probe alone cannot (a dropped reply fails the probe too).
    func seen(by role: String) -> [String] {
        let text = (try? String(contentsOf: logFile(role), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    func forgetSeen() {
        for role in namespaces.keys {
            try? FileManager.default.removeItem(at: logFile(role))
        }
    }

    /// Connects from a namespace and returns the server's answer ("<role> <peer>"), or nil if nothing answered
    /// within a second (dropped, refused or unroutable).
    func probe(from role: String, to address: String, port: Int, proto: PortPublication.Proto = .tcp) async throws -> String? {
        let result = try await exec(role, [
            "timeout", "3", Shell.tool("python3"), directory.appendingPathComponent("client.py").path,
            address, String(port), proto.rawValue,
        ])
        let answer = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return result.succeeded && !answer.isEmpty ? answer : nil
    }

    /// The servers are gone by now: they were started after this step was put on the cleanup stack.
    private func deleteNamespaces() async {
        for name in namespaces.values.sorted() {
            _ = try? await Shell.run(["ip", "netns", "delete", name])
        }
        namespaces.removeAll()
    }

    private static let serverScript = """
        import socket, sys, threading
        tag, ready, log, specs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
        lock = threading.Lock()
        def record(proto, peer):
            with lock, open(log, "a") as f:
                f.write(f"{proto} {peer}\\n")
        def serve_tcp(s):
            while True:
                c, peer = s.accept()
                record("tcp", peer[0])
                try:
                    c.sendall(f"{tag} {peer[0]}\\n".encode())
                finally:
                    c.close()
        def serve_udp(s):
            while True:
                _, peer = s.recvfrom(512)
                record("udp", peer[0])
                s.sendto(f"{tag} {peer[0]}\\n".encode(), peer)
        workers = []
        for spec in specs:
            proto, port = spec.split(":")
            if proto == "tcp":
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("0.0.0.0", int(port)))
                s.listen(64)
                workers.append(threading.Thread(target=serve_tcp, args=(s,), daemon=True))
            else:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("0.0.0.0", int(port)))
                workers.append(threading.Thread(target=serve_udp, args=(s,), daemon=True))
        open(ready, "w").close()
        for w in workers:
            w.start()
        for w in workers:
            w.join()

        """

    private static let clientScript = """
        import socket, sys
        address, port, proto = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        if proto == "tcp":
            s = socket.create_connection((address, port), timeout=1.0)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(1.0)
            s.sendto(b"?", (address, port))
        print(s.recv(200).decode().strip())

        """
}
