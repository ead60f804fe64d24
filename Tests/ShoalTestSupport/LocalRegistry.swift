import Foundation

/// Debian's `docker-registry` (distribution 2.8) on a free loopback port with its own config and storage inside a
/// TestRun directory, optionally behind htpasswd basic auth or token auth (`auth: token` trusting a `TokenServer`).
/// Killed (by its pidfd) in the run's cleanup. Never listens anywhere but 127.0.0.1.
public final class LocalRegistry: @unchecked Sendable {
    public let port: Int
    public let pid: Int32
    /// `127.0.0.1:PORT`, the registry part of image references.
    public var domain: String { "127.0.0.1:\(port)" }

    private init(port: Int, pid: Int32) {
        self.port = port
        self.pid = pid
    }

    public static func start(in run: TestRun, user: String? = nil, password: String? = nil,
                             tokenServer: TokenServer? = nil) async throws -> LocalRegistry {
        let dir = run.path("registry-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: dir + "/storage", withIntermediateDirectories: true)
        let port = try await freePort()
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
          addr: 127.0.0.1:\(port)

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
        let registry = LocalRegistry(port: port, pid: process.pid)
        for _ in 0..<100 {
            let probe = try await Shell.run("/usr/bin/python3", ["-c",
                "import socket; socket.create_connection(('127.0.0.1', \(port)), 0.2)"])
            if probe.status == 0 { return registry }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ShellError(command: "docker-registry serve", status: -1,
                         stderr: (try? String(contentsOfFile: dir + "/log", encoding: .utf8)) ?? "")
    }

    static func freePort() async throws -> Int {
        let out = try await Shell.sh("python3 -c \"import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])\"")
        guard let port = Int(out.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ShellError(command: "free port", status: -1, stderr: out)
        }
        return port
    }
}
