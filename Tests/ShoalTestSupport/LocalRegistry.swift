import Foundation

/// Debian's `docker-registry` (distribution 2.8) on a free loopback port with its own config and storage inside a
/// TestRun directory, optionally behind htpasswd basic auth or token auth (`auth: token` trusting a `TokenServer`).
/// Killed (by its pidfd) in the run's cleanup. Listens on 127.0.0.1, or on `host` when given: an address of an
/// interface a test made (a local cluster's bridge, for its hosts to pull from).
public final class LocalRegistry: @unchecked Sendable {
    public let host: String
    public let port: Int
    public let pid: Int32
    /// `HOST:PORT`, the registry part of image references.
    public var domain: String { "\(host):\(port)" }

    private init(host: String, port: Int, pid: Int32) {
        self.host = host
        self.port = port
        self.pid = pid
    }

    public static func start(in run: TestRun, host: String = "127.0.0.1", user: String? = nil,
                             password: String? = nil, tokenServer: TokenServer? = nil) async throws -> LocalRegistry {
        let dir = run.path("registry-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: dir + "/storage", withIntermediateDirectories: true)
        let port = try await freePort(host)
        var config = """
        version: 0.1
        log:
          level: warn
        storage:
          filesystem:
            rootdirectory: \(dir)/storage
          delete:
            enabled: true
        http:
          addr: \(host):\(port)

        """
        if let user, let password {
            try await Shell.sh("htpasswd -Bbn '\(user)' '\(password)' > '\(dir)/htpasswd'")
            config += """
            auth:
              htpasswd:
                realm: shoal-test
                path: \(dir)/htpasswd

            """
        } else if let tokenServer {
            config += """
            auth:
              token:
                realm: \(tokenServer.realm)
                service: \(tokenServer.service)
                issuer: \(tokenServer.issuer)
                rootcertbundle: \(tokenServer.certificatePath)

            """
        }
        try config.write(toFile: dir + "/config.yml", atomically: true, encoding: .utf8)
        let process = try run.startProcess("registry", "/usr/bin/docker-registry", ["serve", dir + "/config.yml"],
                                           log: dir + "/log")
        let registry = LocalRegistry(host: host, port: port, pid: process.pid)
        for _ in 0..<100 {
            let probe = try await Shell.run("/usr/bin/python3", ["-c",
                "import socket; socket.create_connection(('\(host)', \(port)), 0.2)"])
            if probe.status == 0 { return registry }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ShellError(command: "docker-registry serve", status: -1,
                         stderr: (try? String(contentsOfFile: dir + "/log", encoding: .utf8)) ?? "")
    }

    static func freePort(_ host: String = "127.0.0.1") async throws -> Int {
        let out = try await Shell.sh("python3 -c \"import socket; s=socket.socket(); s.bind(('\(host)', 0)); print(s.getsockname()[1])\"")
        guard let port = Int(out.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ShellError(command: "free port", status: -1, stderr: out)
        }
        return port
    }
}
