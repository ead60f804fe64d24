import CShoal
import Glibc
import ShoalCore
import Synchronization

/// How a process ended. `code` is the shell/Docker convention: the exit status, or 128+N when killed by signal N.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public init(waitStatus status: Int32) {
        let signal = status & 0x7f
        self = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    public var code: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}

/// A child started with posix_spawn, waited for through its pidfd on the `IOReactor` and reaped exactly once.
/// Call `wait()` for every child (or it stays a zombie until this object is gone and the process ends).
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let pidfd: Int32
    private let status = Mutex<ExitStatus?>(nil)

    private init(pid: pid_t, pidfd: Int32) {
        self.pid = pid
        self.pidfd = pidfd
    }

    deinit { close(pidfd) }

    /// Spawns `executable` with argv `[arguments[0] ?? executable, …]`. `fds[i]` becomes the child's fd i (-1 gives
    /// /dev/null); every other fd is closed in the child. `environment` nil inherits ours.
    public static func spawn(
        _ executable: String, _ arguments: [String], environment: [String]? = nil, directory: String? = nil,
        fds: [Int32] = [-1, -1, -1], newSession: Bool = false
    ) throws -> ChildProcess {
        let argv = CStringArray([executable] + arguments)
        let env = CStringArray(environment ?? ProcessEnvironment.current())
        var pid: pid_t = 0
        let result: Int32 = fds.withUnsafeBufferPointer { fdBuffer in
            if let directory {
                return cshoal_spawn(&pid, executable, argv.pointers, env.pointers, directory, fdBuffer.baseAddress,
                                    Int32(fds.count), newSession ? 1 : 0)
            }
            return cshoal_spawn(&pid, executable, argv.pointers, env.pointers, nil, fdBuffer.baseAddress,
                                Int32(fds.count), newSession ? 1 : 0)
        }
        guard result == 0 else { throw ShoalError.system("spawn \(executable)", errno: result) }
        // Our unreaped child cannot have its pid reused, so opening the pidfd after the spawn is safe.
        let pidfd = cshoal_pidfd_open(pid)
        guard pidfd >= 0 else {
            let error = ShoalError.system("pidfd_open(\(pid))")
            kill(pid, SIGKILL)
            var raw: Int32 = 0
            waitpid(pid, &raw, 0)
            throw error
        }
        return ChildProcess(pid: pid, pidfd: pidfd)
    }

    /// Waits for the child to end and reaps it (suspends, does not block a thread). Safe to call more than once.
    public func wait() async throws -> ExitStatus {
        if let status = status.withLock({ $0 }) { return status }
        try await IOReactor.shared.waitReadable(pidfd)
        return reap()
    }

    /// Reaps without waiting; nil while the child runs.
    public func tryWait() -> ExitStatus? {
        if let status = status.withLock({ $0 }) { return status }
        var poll = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        guard Glibc.poll(&poll, 1, 0) == 1 else { return nil }
        return reap()
    }

    private func reap() -> ExitStatus {
        status.withLock { status in
            if let status { return status }
            var raw: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(pid, &raw, 0) } while result < 0 && errno == EINTR
            let ended = result == pid ? ExitStatus(waitStatus: raw) : .exited(-1)
            status = ended
            return ended
        }
    }

    /// Sends a signal through the pidfd (never hits a recycled pid).
    public func signal(_ signal: Int32) {
        _ = cshoal_pidfd_send_signal(pidfd, signal)
    }
}

/// Waits for a process that is not our child (e.g. conmon after a daemon restart) through a pidfd.
public enum ProcessWatch {
    /// Returns when `pid` has exited, or at once if it does not exist. A pid is only meaningful while the caller
    /// knows the process is alive (check identity, e.g. /proc/PID/cmdline, after this opens the pidfd).
    public static func waitForExit(pid: pid_t, verify: (@Sendable () -> Bool)? = nil) async throws {
        let fd = cshoal_pidfd_open(pid)
        guard fd >= 0 else { return }
        defer { close(fd) }
        if let verify, !verify() { return }
        try await IOReactor.shared.waitReadable(fd)
        // Reap it when it happens to be our child (a subreaper daemon); ECHILD otherwise, which is fine.
        var raw: Int32 = 0
        _ = waitpid(pid, &raw, WNOHANG)
    }

    public static func isAlive(_ pid: pid_t) -> Bool { pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) }
}

/// The calling process's environment as `KEY=value` strings.
public enum ProcessEnvironment {
    public static func current() -> [String] {
        var out: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            out.append(String(cString: entry))
            pointer += 1
        }
        return out
    }
}

/// NUL-terminated array of C strings that lives as long as this object.
final class CStringArray {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointers = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() { pointers[index] = strdup(string) }
        pointers[strings.count] = nil
    }

    deinit {
        for index in 0..<count { free(pointers[index]) }
        pointers.deallocate()
    }
}
