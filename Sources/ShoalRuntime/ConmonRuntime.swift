import Foundation
import Glibc
import Logging
import ShoalCore
import ShoalOS

/// runc's view of a container (`runc state`).
public struct ContainerState: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable {
        case creating, created, running, paused, stopped
    }

    public var status: Status
    /// Host pid of the container's init process (0 once stopped).
    public var pid: Int32
    public var bundle: String
}

/// One conmon per container, conmon runs `runc create`, we run the other runc verbs. Stateless in memory: every
/// method finds the container from its id and `RuntimePaths`, so a restarted daemon picks up where it left off.
public final class ConmonRuntime: Sendable {
    public let paths: RuntimePaths
    public let binaries: RuntimeBinaries
    let logger: Logger
    /// The specs execs start from (see ExecSpecCache: checked against the file at each use).
    let execSpecs = ExecSpecCache()

    /// Environment for conmon (and through it runc): a fixed PATH, nothing from the daemon's environment.
    static let baseEnvironment = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]

    /// `execScratchInMemory`: when the state root is on disk (a host whose /run is not a tmpfs), a tmpfs is
    /// mounted for the exec sessions (left mounted, as /run is, so sessions outlive a daemon restart): each exec,
    /// a health check every second too, creates and removes a dozen files, and on ext4 allocating inodes just
    /// freed was most of the daemon's CPU per check (measured: 43% in `__ext4_new_inode`).
    public init(paths: RuntimePaths = RuntimePaths(), binaries: RuntimeBinaries = RuntimeBinaries(),
                logger: Logger = Logger(label: "shoal.runtime"), execScratchInMemory: Bool = false) throws {
        self.paths = paths
        self.binaries = binaries
        self.logger = logger
        for dir in [paths.runcRoot, paths.exitDir, paths.socketDir, paths.containersDir, paths.execRoot] {
            try FileIO.makeDirectory(dir)
        }
        if execScratchInMemory && !Mounts.isInMemory(paths.execRoot) {
            do {
                try Mounts.tmpfs(target: paths.execRoot, options: "mode=0700,size=64m", noExec: true)
            } catch {
                logger.warning("exec sessions stay on disk: \(error)")
            }
        }
    }

    // MARK: runc verbs

    /// `runc start ID`: runs the user's process of a created container.
    public func start(id: String) async throws {
        try await runc(["start", id], id: id)
    }

    /// `runc kill ID SIGNAL` (to the init process, as `docker kill`), or every process with `all`.
    public func kill(id: String, signal: Int32, all: Bool = false) async throws {
        try await runc(["kill"] + (all ? ["--all"] : []) + [id, String(signal)], id: id)
    }

    /// Whether runc or conmon still hold state for the container: callers skip `delete` (a runc spawn) when not.
    public func hasState(id: String) -> Bool {
        FileIO.exists(paths.runcRoot + "/" + id) || FileIO.exists(paths.persistDir(id))
    }

    /// Signals the container's init process directly (kill(2)), saving a `runc kill` (a Go binary's start-up,
    /// which dominates `docker rm -f` under load). Only when `pid` is provably this container's init: its
    /// cgroup path ends with the container's ID. Otherwise (gone, reused pid, paused) falls back to `runc kill`.
    public func signal(id: String, pid: Int32, signal: Int32) async throws {
        if pid > 0, let cgroups = try? FileIO.readString("/proc/\(pid)/cgroup"),
           cgroups.split(separator: "\n").contains(where: { $0.hasSuffix("/" + id) }),
           Glibc.kill(pid, signal) == 0 {
            return
        }
        try await kill(id: id, signal: signal)
    }

    /// `runc pause ID` (cgroup freezer).
    public func pause(id: String) async throws { try await runc(["pause", id], id: id) }

    /// `runc resume ID`.
    public func resume(id: String) async throws { try await runc(["resume", id], id: id) }

    /// `runc update` of a running container's cgroup limits; nil leaves a limit as it is.
    public func update(id: String, resources: ResourceUpdate) async throws {
        let flags = resources.runcFlags
        guard !flags.isEmpty else { return }
        try await runc(["update"] + flags + [id], id: id)
    }

    /// `runc state ID`.
    public func state(id: String) async throws -> ContainerState {
        let output = try await runc(["state", id], id: id)
        struct Raw: Decodable {
            var status: String
            var pid: Int32
            var bundle: String
        }
        do {
            let raw = try JSONDecoder().decode(Raw.self, from: Data(output))
            return ContainerState(status: .init(rawValue: raw.status) ?? .stopped, pid: raw.pid, bundle: raw.bundle)
        } catch {
            throw ShoalError.internalError("cannot decode runc state of \(id)", cause: error)
        }
    }

    /// Ids runc knows (`runc list`), e.g. to reconcile after a daemon restart.
    public func list() async throws -> [String] {
        let result = try await Command.run(binaries.runc, ["--root", paths.runcRoot, "list", "--quiet"])
        return result.stdoutText.split(whereSeparator: \.isNewline).map(String.init)
    }

    /// `runc delete [--force] ID`, then waits for conmon to leave and removes the runtime's files for the
    /// container (exit file included: read `exitCode(id:)` first if you need it). Idempotent.
    public func delete(id: String, force: Bool = false) async throws {
        do {
            try await runc(["delete"] + (force ? ["--force"] : []) + [id], id: id)
        } catch let error as ShoalError where error.code == .notFound {
            // Already gone from runc: still clean our files.
        }
        await stopConmon(id: id, grace: force ? 2 : 5)
        removeFiles(id: id)
        execSpecs.forget(id)
    }

    /// Waits for conmon to exit after the container ended (it drains logs first); SIGKILL after `grace` seconds.
    /// Waits for conmon to leave after the process ended (it drains the output first); SIGKILL after `grace`
    /// seconds. `id` is the container's (or an exec session's) id; `persistDir` where its conmon.pid is, when not
    /// the container's.
    func stopConmon(id: String, persistDir: String? = nil, grace: Double) async {
        let pidFile = (persistDir ?? paths.persistDir(id)) + "/conmon.pid"
        guard let pid = readPid(pidFile), isConmon(pid: pid, id: id) else { return }
        let exited = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                (try? await ProcessWatch.waitForExit(pid: pid)) != nil
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int(grace * 1000)))
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !exited && isConmon(pid: pid, id: id) {
            logger.warning("conmon \(pid) for \(id) did not exit after \(grace)s; killing it")
            Glibc.kill(pid, SIGKILL)
            try? await ProcessWatch.waitForExit(pid: pid)
        }
    }

    func removeFiles(id: String) {
        if let bundle = try? bundlePath(id: id) {
            for name in ["attach", "ctl", "winsz"] { unlink(bundle + "/" + name) }
        }
        unlink(paths.socketLink(id))
        unlink(paths.exitFile(id))
        try? FileIO.removeTree(paths.persistDir(id))
        try? FileIO.removeTree(paths.execSessions(id))
    }

    /// The bundle directory, from conmon's socket symlink (works after a daemon restart).
    public func bundlePath(id: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(paths.socketLink(id), &buffer, buffer.count - 1)
        guard count > 0 else { throw RuntimeErrors.noSuchContainer(id) }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Runs `runc --root R --log-format=json ARGS`, returning stdout; errors carry runc's message, and
    /// "does not exist" becomes notFound.
    @discardableResult
    func runc(_ arguments: [String], id: String) async throws -> [UInt8] {
        let result = try await Command.run(
            binaries.runc, ["--root", paths.runcRoot, "--log-format=json"] + arguments,
            environment: Self.baseEnvironment)
        guard result.status == .exited(0) else {
            let message = RuncMessages.errorText(result.stderrText)
            if message.contains("does not exist") || message.contains("not exist") {
                throw RuntimeErrors.noSuchContainer(id)
            }
            if message.contains("not running") || message.contains("not paused") || message.contains("cannot start")
                || message.contains("is paused") || message.contains("cannot delete") {
                throw ShoalError.invalidState(message)
            }
            throw ShoalError.internalError("runc \(arguments.first ?? ""): \(message)")
        }
        return result.stdout
    }

    func readPid(_ path: String) -> Int32? {
        guard let text = try? FileIO.readString(path) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// True when `pid` is a conmon started for this container (guards against pid reuse after a restart).
    func isConmon(pid: Int32, id: String) -> Bool {
        guard let raw = try? FileIO.readFile("/proc/\(pid)/cmdline") else { return false }
        let args = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return args.first.map { $0.hasSuffix("conmon") } == true && args.contains(id)
    }

    static func validate(id: String) throws {
        guard !id.isEmpty, id.count <= 128, id.utf8.allSatisfy({ byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }), !id.hasPrefix(".") else {
            throw ShoalError.invalidArgument("invalid container id: \(id)")
        }
    }
}
