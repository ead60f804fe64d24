import Foundation
import ShoalCore
import ShoalLocalCluster
import ShoalOS

/// A real `shoal daemon` for integration tests: its own data root, exec root and socket (names unique to the
/// run), driven with the stock docker CLI. The run's cleanup ends the daemon by its pidfd and removes everything
/// it made: containers (runc state, conmon processes, cgroups), mounts, directories, bridges and its nftables table.
public final class DaemonFixture: @unchecked Sendable {
    public let run: TestRun
    public let dataRoot: String
    public let execRoot: String
    public let socket: String
    /// The running daemon (nil while stopped).
    private var process: ChildProcess?
    public var pid: Int32 { process?.pid ?? 0 }
    public let logPath: String
    private let extraArguments: [String]
    private let daemonEnvironment: [String: String]
    private let pools: [String]
    /// This daemon's own address block `10.B.0.0/16`: its default bridge is `10.B.0.1/24` and its networks take
    /// their subnets from the rest, so parallel daemons never fight over a subnet. Tests that give `--subnet`
    /// use `subnet(_:)` to stay inside it; teardown removes every bridge that carries an address in it.
    public let addressBlock: Int
    /// The default bridge's name, unique to the run.
    public let bridgeName: String

    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["SHOAL_BINARY"] { return path }
        // Tests run from the package root: use the debug build next to them.
        return FileManager.default.currentDirectoryPath + "/.build/debug/shoal"
    }

    public static let docker = "/usr/local/bin/docker"

    /// `dataRoot` defaults to a directory of the run (pass one on a small tmpfs to test a full disk).
    /// `addressPools` replaces the daemon's pool (default: the rest of its block, in /24s). `environment` is
    /// added to the daemon's.
    public init(_ run: TestRun, arguments: [String] = [], dataRoot: String? = nil, addressPools: [String]? = nil,
                addressBlock: Int? = nil, environment: [String: String] = [:]) async throws {
        self.run = run
        self.dataRoot = dataRoot ?? run.path("data")
        execRoot = "/run/shoal-test-\(run.id)"
        socket = execRoot + "/shoal.sock"
        logPath = run.path("daemon.log")
        extraArguments = arguments
        daemonEnvironment = environment
        self.addressBlock = addressBlock ?? Self.nextAddressBlock()
        pools = addressPools ?? ["base=10.\(self.addressBlock).0.0/16,size=24"]
        bridgeName = run.name("sb")
        run.onCleanup("daemon \(run.id)") { [self] in await self.teardown() }
        try await start()
    }

    /// Starts (or restarts) the daemon and waits until it answers `_ping`.
    public func start() async throws {
        let daemon = try Shell.start(
            Self.binary,
            ["daemon", "--data-root", dataRoot, "--exec-root", execRoot, "-H", "unix://" + socket,
             "--log-level", "debug", "--bridge", bridgeName, "--bip", "10.\(addressBlock).0.1/24"]
                + pools.flatMap { ["--default-address-pool", $0] } + extraArguments,
            environment: daemonEnvironment.isEmpty ? nil : daemonEnvironment, log: logPath)
        process = daemon
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let result = try? await docker(["version", "--format", "{{.Server.APIVersion}}"]), result.status == 0 {
                return
            }
            if let ended = daemon.tryWait() {
                throw ShellError(command: "shoal daemon", status: Shell.status(ended), stderr: daemonLog())
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ShellError(command: "shoal daemon (not ready in 20 s)", status: -1, stderr: daemonLog())
    }

    /// SIGTERM to the daemon only (SIGKILL after 5 s); its containers keep running (used by restart tests).
    public func stopDaemon() async {
        guard let daemon = process else { return }
        await daemon.terminate(grace: .seconds(5))
        process = nil
    }

    public var environment: [String: String] {
        ["DOCKER_HOST": "unix://" + socket, "DOCKER_CONFIG": run.path("docker-config"), "DOCKER_CLI_HINTS": "false"]
    }

    @discardableResult
    public func docker(_ arguments: [String], stdin: String? = nil) async throws -> Shell.Result {
        try await Shell.run(Self.docker, arguments, environment: environment, stdin: stdin)
    }

    /// Runs docker and throws unless it exits 0; returns stdout without the trailing newline.
    @discardableResult
    public func dockerOK(_ arguments: [String], stdin: String? = nil) async throws -> String {
        let result = try await docker(arguments, stdin: stdin)
        guard result.status == 0 else {
            throw ShellError(command: "docker " + arguments.joined(separator: " "), status: result.status,
                             stderr: result.stderr + "\n--- daemon log tail ---\n" + daemonLog(lines: 30))
        }
        return result.stdout.trimmingCharacters(in: .newlines)
    }

    public func daemonLog(lines: Int = 60) -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// Loads a busybox image (Debian's busybox-static) as `name`.
    public func loadBusybox(as name: String = "busybox:latest", cmd: [String] = ["sh"],
                            healthcheck: (test: [String], interval: Int64)? = nil) async throws {
        let rootfs = run.path("busybox-rootfs-\(UUID().uuidString.prefix(8))")
        try BusyboxRootfs.make(at: rootfs)
        let tarball = run.path("busybox-\(UUID().uuidString.prefix(8)).tar")
        try await ImageTarballs.dockerSave([.init(repoTags: [name], layers: [.directory(rootfs)], cmd: cmd,
                                                  healthcheck: healthcheck)],
                                           to: tarball, work: run.path("work-\(UUID().uuidString.prefix(8))"))
        try await dockerOK(["load", "-i", tarball])
    }

    /// `10.B.N.0/24` in this daemon's block (N ≥ 128 never collides with subnets the daemon picks itself early).
    public func subnet(_ n: Int) -> String { "10.\(addressBlock).\(n).0/24" }

    /// The daemon's nftables table (named after its exec root, as the daemon names it).
    public var firewallTable: String { "shoal_" + String(format: "%08x", ShortHash.fnv1a(execRoot)) }

    private static let blockLock = NSLock()
    nonisolated(unsafe) private static var blockCounter = 0

    /// Second octets 130–249, spread by pid so two test processes rarely pick the same one.
    public static func nextAddressBlock() -> Int {
        blockLock.lock()
        defer { blockLock.unlock() }
        blockCounter += 1
        return 130 + Int((UInt32(getpid()) &* 7 &+ UInt32(blockCounter)) % 120)
    }

    /// Bridges carrying an address of this daemon's block, and its nftables table.
    private func removeNetworking() async {
        let prefix = "10.\(addressBlock)."
        if let out = try? await Shell.run("/usr/sbin/ip", ["-j", "-4", "addr", "show", "type", "bridge"]),
           let data = out.stdout.data(using: .utf8),
           let links = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] {
            for link in links {
                let addresses = (link["addr_info"] as? [[String: Any]]) ?? []
                if addresses.contains(where: { ($0["local"] as? String)?.hasPrefix(prefix) == true }),
                   let name = link["ifname"] as? String {
                    _ = try? await Shell.run("/usr/sbin/ip", ["link", "del", name])
                }
            }
        }
        _ = try? await Shell.run("/usr/sbin/ip", ["link", "del", bridgeName])
        _ = try? await Shell.run("/usr/sbin/nft", ["delete", "table", "ip", firewallTable])
        _ = try? await Shell.run("/usr/sbin/nft", ["delete", "table", "ip6", firewallTable])
    }

    private func teardown() async {
        await stopDaemon()
        // DaemonState waits for `runc delete` and a leftover etcd synchronously: on a dispatch thread, off the pool.
        let (execRoot, dataRoot) = (execRoot, dataRoot)
        _ = try? await runBlocking { DaemonState.remove(execRoot: execRoot, dataRoot: dataRoot) }
        await removeNetworking()
    }

    /// Mount points below the given prefixes, from /proc/self/mountinfo, in mount order.
    public static func mounts(under prefixes: [String]) -> [String] { DaemonState.mounts(under: prefixes) }

    public static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        // A zombie child still answers kill(0): look at its state.
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !stat.contains(") Z ")
    }
}
