import Foundation

/// A tiny DNS server on 127.0.0.1 (python3, stdlib only) that the tests give the daemon as its upstream
/// (`--dns 127.0.0.1:PORT`), so that names the embedded DNS forwards never reach the machine's own resolver. It
/// answers A queries for the names it was given and NXDOMAIN otherwise, over UDP, and logs every name asked.
/// Killed (by its pidfd) in the run's cleanup.
public final class UpstreamDNS: @unchecked Sendable {
    public let port: Int
    public let pid: Int32
    private let logPath: String

    /// `127.0.0.1:PORT`, as the daemon's `--dns` takes it.
    public var address: String { "127.0.0.1:\(port)" }

    private init(port: Int, pid: Int32, logPath: String) {
        self.port = port
        self.pid = pid
        self.logPath = logPath
    }

    /// Names asked so far, lowercased, without the final dot.
    public var queries: [String] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    public static func start(in run: TestRun, answers: [String: String]) async throws -> UpstreamDNS {
        let dir = run.path("upstream-dns-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let table = answers.map { "\"\($0.key.lowercased())\": \"\($0.value)\"" }.joined(separator: ", ")
        let script = """
        import socket, struct, sys
        answers = {\(table)}
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        open(sys.argv[1] + "/port", "w").write(str(s.getsockname()[1]))
        log = open(sys.argv[1] + "/queries", "a", buffering=1)
        while True:
            data, peer = s.recvfrom(4096)
            if len(data) < 12:
                continue
            i, labels = 12, []
            while i < len(data) and data[i] != 0:
                labels.append(data[i + 1:i + 1 + data[i]].decode("ascii", "replace"))
                i += 1 + data[i]
            question = data[12:i + 5]
            qtype = struct.unpack(">H", data[i + 1:i + 3])[0] if i + 3 <= len(data) else 0
            name = ".".join(labels).lower()
            log.write(name + "\\n")
            ip = answers.get(name)
            flags = 0x8180 if ip is not None else 0x8183
            count = 1 if ip is not None and qtype == 1 else 0
            reply = data[:2] + struct.pack(">HHHHH", flags, 1, count, 0, 0) + question
            if count:
                reply += b"\\xc0\\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton(ip)
            s.sendto(reply, peer)
        """
        try script.write(toFile: dir + "/dns.py", atomically: true, encoding: .utf8)
        let process = try run.startProcess("upstream dns", "/usr/bin/python3", [dir + "/dns.py", dir])
        for _ in 0..<100 {
            if let text = try? String(contentsOfFile: dir + "/port", encoding: .utf8), let port = Int(text) {
                return UpstreamDNS(port: port, pid: process.pid, logPath: dir + "/queries")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ShellError(command: "upstream dns", status: -1, stderr: "no port after 5 s")
    }
}

/// A network namespace the test makes, joined to the host by a veth pair with a /30 of its own: "another host"
/// that reaches published ports through the host's address. Removed (namespace and link) in the run's cleanup.
public struct OutsideNamespace: Sendable {
    public let name: String
    /// The host's end of the link, the address published ports are reached at from the namespace.
    public let hostAddress: String
    public let namespaceAddress: String

    public init(in run: TestRun, subnetPrefix: String) async throws {
        name = run.name("sho")
        let hostLink = run.name("vho")
        hostAddress = "\(subnetPrefix).1"
        namespaceAddress = "\(subnetPrefix).2"
        let name = self.name
        run.onCleanup("remove netns \(name)") {
            _ = try? await Shell.run("/usr/sbin/ip", ["link", "del", hostLink])
            _ = try? await Shell.run("/usr/sbin/ip", ["netns", "del", name])
        }
        try await Shell.sh("""
            ip netns add \(name)
            ip link add \(hostLink) type veth peer name eth0 netns \(name)
            ip addr add \(hostAddress)/30 dev \(hostLink)
            ip link set \(hostLink) up
            ip -n \(name) addr add \(namespaceAddress)/30 dev eth0
            ip -n \(name) link set eth0 up
            ip -n \(name) link set lo up
            ip -n \(name) route add default via \(hostAddress)
            """)
    }

    /// Runs a command inside the namespace (`ip netns exec` is fine here: no runc involved).
    public func run(_ arguments: [String], timeout: TimeInterval = 20) async throws -> Shell.Result {
        try await Shell.run("/usr/sbin/ip", ["netns", "exec", name] + arguments, timeout: timeout)
    }
}

/// HTTP GET with python3 (curl is not a dependency): the body, or nil when it fails within `timeout` seconds.
public enum HTTPProbe {
    public static let script = """
        import sys, urllib.request
        try:
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            print(opener.open(sys.argv[1], timeout=float(sys.argv[2])).read().decode(), end="")
        except Exception as e:
            print(e, file=sys.stderr); sys.exit(1)
        """

    public static func get(_ url: String, timeout: Double = 2) async throws -> String? {
        let result = try await Shell.run("/usr/bin/python3", ["-c", script, url, String(timeout)])
        return result.status == 0 ? result.stdout : nil
    }

    public static func arguments(_ url: String, timeout: Double = 2) -> [String] {
        ["/usr/bin/python3", "-c", script, url, String(timeout)]
    }
}
