import Foundation

/// Debian's `docker-registry` (distribution 2.8) on a free loopback port with its own config and storage inside a
/// TestRun directory, optionally behind htpasswd basic auth or token auth (`auth: token` trusting a `TokenServer`).
/// Killed by pid in the run's cleanup. Never listens anywhere but 127.0.0.1.
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
                             tokenServer: TokenServer? = nil) throws -> LocalRegistry {
        let dir = run.path("registry-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: dir + "/storage", withIntermediateDirectories: true)
        let port = try freePort()
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
            try Shell.sh("htpasswd -Bbn '\(user)' '\(password)' > '\(dir)/htpasswd'")
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/docker-registry")
        process.arguments = ["serve", dir + "/config.yml"]
        _ = FileManager.default.createFile(atPath: dir + "/log", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/log"))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let registry = LocalRegistry(port: port, pid: process.processIdentifier)
        run.onCleanup("kill registry \(registry.pid)") {
            kill(registry.pid, SIGKILL)
            process.waitUntilExit()
            try? log.close()
        }
        for _ in 0..<100 {
            let probe = try Shell.run("/usr/bin/python3", ["-c",
                "import socket; socket.create_connection(('127.0.0.1', \(port)), 0.2)"])
            if probe.status == 0 { return registry }
            usleep(100_000)
        }
        throw ShellError(command: "docker-registry serve", status: -1,
                         stderr: (try? String(contentsOfFile: dir + "/log", encoding: .utf8)) ?? "")
    }

    static func freePort() throws -> Int {
        let out = try Shell.sh("python3 -c \"import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])\"")
        guard let port = Int(out.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ShellError(command: "free port", status: -1, stderr: out)
        }
        return port
    }
}
