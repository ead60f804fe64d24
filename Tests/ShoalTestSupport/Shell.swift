import Foundation
import ShoalOS

/// Runs a command for tests and fixtures, collecting its output (never use this for `runc create`: see
/// FIELD-NOTES). Output goes to files so a chatty command cannot fill a pipe and stall. The child is spawned with
/// posix_spawn (ShoalOS's `ChildProcess`) and waited for through its pidfd on the `IOReactor`: the test suspends,
/// no thread of Swift's cooperative pool is blocked while the command runs (DESIGN §4b).
public enum Shell {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String

        public init(status: Int32, stdout: String, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    /// Runs `executable` (an absolute path) to completion. `environment` is merged into ours; `stdin` is written
    /// to a pipe; `directory` is the child's working directory (default: ours). A command still running at
    /// `timeout` seconds is killed (our own child, by its pidfd) and reported with status -9, so a hung command
    /// fails its test instead of stalling the suite; a cancelled test kills it too.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           stdin: String? = nil, directory: String? = nil,
                           timeout: TimeInterval = 120) async throws -> Result {
        let out = try OutputFile(), err = try OutputFile()
        let input = try stdin.map { _ in try FileIO.pipe(nonBlockingRead: false) }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(executable, arguments, environment: environment.map(merged),
                                           directory: directory, fds: [input?.read ?? -1, out.fd, err.fd])
        } catch {
            if let input { [input.read, input.write].forEach { _ = close($0) } }
            throw error
        }
        if let input { close(input.read) }
        let ended: ExitStatus?
        do {
            ended = try await withThrowingTaskGroup(of: Void.self) { group in
                if let input, let stdin { group.addTask { await feed(input.write, stdin) } }
                defer { group.cancelAll() }
                return try await child.wait(timeout: .seconds(timeout))
            }
        } catch {
            await child.kill()
            throw error
        }
        guard let ended else {
            await child.kill()
            return Result(status: -9, stdout: out.text(), stderr: err.text())
        }
        return Result(status: status(ended), stdout: out.text(), stderr: err.text())
    }

    /// Runs `/bin/sh -c script` and throws when it fails.
    @discardableResult
    public static func sh(_ script: String) async throws -> String {
        let result = try await run("/bin/sh", ["-c", script])
        guard result.status == 0 else {
            throw ShellError(command: script, status: result.status, stderr: result.stderr)
        }
        return result.stdout
    }

    /// Starts a long-running child (a daemon, a server) with stdin on /dev/null and stdout and stderr appended to
    /// `log` (nil: /dev/null). Whoever starts it stops it: `TestRun.startProcess` puts that on the cleanup stack.
    public static func start(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                             log: String? = nil) throws -> ChildProcess {
        var fd: Int32 = -1
        if let log {
            fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw ShellError(command: "open \(log)", status: errno, stderr: "") }
        }
        defer { if fd >= 0 { close(fd) } }
        return try ChildProcess.spawn(executable, arguments, environment: environment.map(merged), fds: [-1, fd, fd])
    }

    /// The status as Foundation's `Process.terminationStatus` gave it: the exit code, or the number of the signal
    /// that ended the process.
    static func status(_ ended: ExitStatus) -> Int32 {
        switch ended {
        case .exited(let code): code
        case .signaled(let signal): signal
        }
    }

    /// Our environment with `overrides` on top, as `KEY=value` strings.
    private static func merged(_ overrides: [String: String]) -> [String] {
        ProcessInfo.processInfo.environment.merging(overrides) { _, new in new }.map { "\($0.key)=\($0.value)" }
    }

    /// Writes `text` to the child's stdin and closes it. A command that exits without reading all of it gives
    /// EPIPE: its status tells, not this.
    private static func feed(_ fd: Int32, _ text: String) async {
        defer { close(fd) }
        signal(SIGPIPE, SIG_IGN)
        try? FileIO.setNonBlocking(fd)
        try? await FileIO.writeAll(fd, Array(text.utf8))
    }
}

/// An unnamed scratch file (unlinked at once) that a child writes its output to.
private final class OutputFile {
    let fd: Int32

    init() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-sh-\(UUID().uuidString)").path
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ShellError(command: "open \(path)", status: errno, stderr: "") }
        unlink(path)
    }

    deinit { close(fd) }

    /// Everything written to it, as UTF-8 ("" when it is not valid UTF-8).
    func text() -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, offset) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[0..<count]
            offset += off_t(count)
        }
        return String(bytes: bytes, encoding: .utf8) ?? ""
    }
}

extension ChildProcess {
    /// Waits at most `timeout` for the child to end: its status, or nil while it still runs then.
    public func wait(timeout: Duration) async throws -> ExitStatus? {
        try await withThrowingTaskGroup(of: ExitStatus?.self) { group in
            group.addTask { try await self.wait() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    /// SIGKILL, then waits for the child to end and reaps it. Not cancellable: it runs in cleanups and after a
    /// cancelled wait, where the child must not be left behind.
    @discardableResult
    public func kill() async -> ExitStatus {
        signal(SIGKILL)
        // An unstructured task does not inherit the caller's cancellation.
        return await Task { (try? await self.wait()) ?? .exited(-1) }.value
    }

    /// SIGTERM, up to `grace` for the child to end, then SIGKILL; reaped in every case.
    @discardableResult
    public func terminate(grace: Duration = .seconds(5)) async -> ExitStatus {
        signal(SIGTERM)
        if let ended = try? await wait(timeout: grace) { return ended }
        return await kill()
    }

    /// True until the child has ended (it is reaped then).
    public var isRunning: Bool { tryWait() == nil }
}

public struct ShellError: Error, CustomStringConvertible {
    public init(command: String, status: Int32, stderr: String) {
        self.command = command
        self.status = status
        self.stderr = stderr
    }

    public var command: String
    public var status: Int32
    public var stderr: String
    public var description: String { "`\(command)` exited \(status): \(stderr)" }
}
