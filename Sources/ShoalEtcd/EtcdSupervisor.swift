import Foundation
import Glibc
import Logging
import ShoalCore
import ShoalOS

/// Runs one etcd member as a child process and keeps it running.
///
/// `start` spawns `/usr/bin/etcd` with the member's flags (its output appended to the member's log file) and
/// returns once the member answers a Status call and knows a leader. If etcd then dies without being asked to
/// (a signal or a non-zero exit; a clean exit means it was removed from the cluster), it is started again after
/// a backoff (200 ms, doubling to 10 s; back to 200 ms once a run lasted a minute).
/// `stop` sends SIGTERM, then SIGKILL after a grace period; `kill` sends SIGKILL at once. Signals go through the
/// child's pidfd, so they can never reach a recycled pid.
///
/// It never touches an etcd it did not start: the only other process it may signal is one recorded in its own
/// pid file (`<data dir>.pid`) whose command line names its own data directory, i.e. the member it ran before
/// a crash of the daemon, which would otherwise keep the data directory locked.
public actor EtcdSupervisor {
    public nonisolated let configuration: EtcdMemberConfiguration
    private let clientTLS: EtcdClientTLS?
    private let logger: Logger
    private let initialBackoff: Duration
    private let maximumBackoff: Duration

    private var child: ChildProcess?
    /// Bumped at every spawn: an exit report for an older child is ignored.
    private var generation = 0
    /// True from `start` until `stop`/`kill`: an exit in between is a crash to repair.
    private var wanted = false
    private var backoff: Duration
    private var startedAt = ContinuousClock.now
    private var restartTask: Task<Void, Never>?
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []
    /// How many times the member was started again after dying unexpectedly.
    public private(set) var restarts = 0
    /// How the last child ended.
    public private(set) var lastExit: ExitStatus?

    /// - Parameter clientTLS: how the health check connects when the member's client port uses TLS (a client
    ///   certificate is needed when it requires one).
    public init(
        configuration: EtcdMemberConfiguration, clientTLS: EtcdClientTLS? = nil,
        restartBackoff: (initial: Duration, maximum: Duration) = (.milliseconds(200), .seconds(10)),
        logger: Logger = Logger(label: "shoal.etcd.supervisor")
    ) {
        self.configuration = configuration
        self.clientTLS = clientTLS
        self.logger = logger
        initialBackoff = restartBackoff.initial
        maximumBackoff = restartBackoff.maximum
        backoff = restartBackoff.initial
    }

    /// The running etcd's pid, nil while none runs.
    public var pid: pid_t? { child?.pid }

    /// The same, readable without awaiting the actor: for a synchronous last-resort cleanup (a test's) that
    /// must kill the member even when the test failed half-way.
    public nonisolated var currentPID: pid_t? { runningPID.value }
    private nonisolated let runningPID = LockedValue<pid_t?>(nil)
    /// Set by `terminateNow()`: no restart, ever.
    private nonisolated let abandoned = LockedValue(false)

    /// Synchronous last resort (a test's cleanup, a fatal error path): SIGKILLs the running member by pid and
    /// turns supervision off, without awaiting the actor. Prefer `kill()` or `stop()`. The pid cannot belong to
    /// another process: our unreaped child keeps it.
    public nonisolated func terminateNow() {
        abandoned.value = true
        guard let pid = runningPID.value else { return }
        Glibc.kill(pid, SIGKILL)
        // Return only once every thread of it is gone, so that a caller removing the data directory next does
        // not race a dying etcd finishing a WAL write. The group leader shows Z while other threads still exit,
        // so look at all of them. SIGKILL lands within milliseconds; give up after two seconds.
        for _ in 0..<400 where !Self.hasExited(pid) { usleep(5_000) }
        // Remove the pid file now rather than when the monitor reaps the child: a caller deleting the directory
        // right after this must not have a file vanish under it.
        unlink(pidFile)
    }

    /// True when no thread of `pid` runs any more (a zombie or reaped).
    private nonisolated static func hasExited(_ pid: pid_t) -> Bool {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else {
            return true
        }
        return tasks.allSatisfy { task in
            guard let stat = try? FileIO.readString("/proc/\(pid)/task/\(task)/stat"),
                let close = stat.lastIndex(of: ")")
            else { return true }
            let state = stat[stat.index(after: close)...].drop(while: { $0 == " " }).first
            return state == "Z" || state == "X"
        }
    }

    public var isRunning: Bool { child != nil }

    /// The member's client URLs as a client configuration (for health checks and tests).
    public nonisolated var clientEndpoints: [EtcdEndpoint] {
        configuration.advertiseClientURLs.compactMap { try? EtcdEndpoint(url: $0) }
    }

    private nonisolated var pidFile: String { configuration.dataDirectory + ".pid" }

    /// Starts the member and waits until it is healthy (answers Status and knows a leader). A member of a new
    /// multi-member cluster only gets a leader once a quorum runs: start those members concurrently.
    /// - Parameter callTimeout: the deadline of each health check call.
    public func start(timeout: Duration = .seconds(20), callTimeout: Duration = .seconds(1)) async throws {
        guard child == nil, !wanted else { throw ShoalError.invalidState("etcd member \(configuration.name) already runs") }
        wanted = true
        abandoned.value = false
        backoff = initialBackoff
        do {
            try stopLeftoverMember()
            try spawn()
            try await waitUntilHealthy(timeout: timeout, callTimeout: callTimeout, failOnExit: true)
        } catch {
            await kill()
            throw error
        }
    }

    /// Waits until the member answers Status and knows a leader.
    public func waitUntilHealthy(timeout: Duration = .seconds(20)) async throws {
        try await waitUntilHealthy(timeout: timeout, callTimeout: .seconds(1), failOnExit: false)
    }

    /// - Parameter failOnExit: give up as soon as the child exits (a member that cannot start keeps failing).
    private func waitUntilHealthy(timeout: Duration, callTimeout: Duration, failOnExit: Bool) async throws {
        let spawned = generation
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        let clientConfiguration = EtcdClientConfiguration(
            endpoints: Array(clientEndpoints.prefix(1)), tls: clientTLS, callTimeout: callTimeout)
        var client = try EtcdClient(configuration: clientConfiguration, logger: logger)
        // A connection made while the member was not yet serving can stay stuck (a TLS handshake the member
        // never answers, a long reconnect backoff): after a few seconds of failed checks, a fresh one is made.
        var failingSince = clock.now
        var lastProblem = "no answer"
        while clock.now < deadline {
            guard wanted else {
                await client.close()
                throw ShoalError.invalidState("etcd member \(configuration.name) was stopped while starting")
            }
            if failOnExit, child == nil || generation != spawned {
                await client.close()
                throw ShoalError(
                    .unavailable,
                    "etcd member \(configuration.name) exited while starting (\(lastExit.map { "\($0)" } ?? "?")); "
                        + "last lines of \(configuration.logFile):\n\(logTail())")
            }
            do {
                let status = try await client.status()
                if status.leaderID != 0 {
                    await client.close()
                    return
                }
                lastProblem = "no leader yet"
            } catch {
                lastProblem = "\(error)"
                if clock.now - failingSince > .seconds(5) {
                    await client.close()
                    client = try EtcdClient(configuration: clientConfiguration, logger: logger)
                    failingSince = clock.now
                }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        await client.close()
        throw ShoalError(
            .unavailable,
            "etcd member \(configuration.name) not healthy after \(timeout) (\(lastProblem)); \(processFacts()); "
                + "last lines of \(configuration.logFile):\n\(logTail())")
    }

    /// What the kernel says of the member when it does not answer: whether it runs, whether it is in our network
    /// namespace, and whether anything there listens on its client port (for a member that logs "serving" and
    /// never answers).
    private func processFacts() -> String {
        guard let pid = child?.pid else { return "no process" }
        let namespace = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")) ?? "?"
        let ours = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")) ?? "?"
        let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?
            .split(separator: ")").last?.split(separator: " ").first.map(String.init) ?? "?"
        var listening = "?"
        if let port = clientEndpoints.first?.port,
           let table = try? String(contentsOfFile: "/proc/\(pid)/net/tcp", encoding: .utf8) {
            let hex = String(format: ":%04X", port)
            listening = table.split(separator: "\n").contains { line in
                let fields = line.split(separator: " ")
                return fields.count > 3 && fields[1].hasSuffix(hex) && fields[3] == "0A"
            } ? "yes" : "no"
        }
        return "pid \(pid) state \(state), network namespace \(namespace == ours ? "ours" : namespace + " (ours " + ours + ")"), "
            + "listening on the client port: \(listening)"
    }

    /// Stops the member for good: SIGTERM, then SIGKILL if it is still running after `grace`.
    public func stop(grace: Duration = .seconds(5)) async {
        wanted = false
        restartTask?.cancel()
        restartTask = nil
        guard let child else { return }
        child.signal(SIGTERM)
        let generation = generation
        let killer = Task {
            try? await Task.sleep(for: grace)
            if !Task.isCancelled { self.killIfStill(generation) }
        }
        await waitForExit()
        killer.cancel()
    }

    /// Kills the member at once with SIGKILL and does not restart it.
    public func kill() async {
        wanted = false
        restartTask?.cancel()
        restartTask = nil
        guard let child else { return }
        child.signal(SIGKILL)
        await waitForExit()
    }

    /// Waits until the current child (if any) has exited and been reaped.
    public func waitForExit() async {
        guard child != nil else { return }
        await withCheckedContinuation { exitWaiters.append($0) }
    }

    private func killIfStill(_ generation: Int) {
        guard generation == self.generation, let child else { return }
        logger.warning("etcd member \(configuration.name) ignored SIGTERM, sending SIGKILL", metadata: ["pid": "\(child.pid)"])
        child.signal(SIGKILL)
    }

    // MARK: Process

    private func spawn() throws {
        let config = configuration
        try FileIO.makeDirectory(parent(of: config.dataDirectory))
        try FileIO.makeDirectory(parent(of: config.logFile))
        let log = open(config.logFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard log >= 0 else { throw ShoalError.system("open \(config.logFile)") }
        defer { close(log) }
        let banner = "--- shoal: starting \(config.executable) \(config.arguments.joined(separator: " "))\n"
        _ = banner.utf8CString.withUnsafeBufferPointer { write(log, $0.baseAddress, $0.count - 1) }
        // Its own session: a terminal's ^C to the daemon's process group must not reach etcd behind our back.
        let child = try ChildProcess.spawn(
            config.executable, config.arguments, fds: [-1, log, log], newSession: true)
        self.child = child
        runningPID.value = child.pid
        generation += 1
        startedAt = .now
        try? AtomicFile.write("\(child.pid)\n", to: pidFile)
        logger.info("etcd member \(config.name) started", metadata: ["pid": "\(child.pid)"])
        let generation = generation
        Task {
            let status = (try? await child.wait()) ?? .exited(-1)
            self.exited(generation: generation, status: status)
        }
    }

    private func exited(generation: Int, status: ExitStatus) {
        guard generation == self.generation else { return }
        child = nil
        runningPID.value = nil
        lastExit = status
        unlink(pidFile)
        let waiters = exitWaiters
        exitWaiters = []
        for waiter in waiters { waiter.resume() }
        guard wanted, !abandoned.value else {
            logger.info("etcd member \(configuration.name) stopped (\(status))")
            return
        }
        // etcd exits 0 only when told to stop or when it was removed from the cluster: not a crash, and a
        // removed member would only fail again.
        if status == .exited(0) {
            wanted = false
            logger.warning("etcd member \(configuration.name) exited by itself (removed from the cluster?); not restarting")
            return
        }
        // A run that lasted a while was healthy: start over with a short delay.
        if ContinuousClock.now - startedAt > .seconds(60) { backoff = initialBackoff }
        let delay = backoff
        backoff = min(backoff * 2, maximumBackoff)
        logger.warning(
            "etcd member \(configuration.name) died (\(status)); restarting in \(delay)",
            metadata: ["log": "\(configuration.logFile)"])
        restartTask = Task {
            try? await Task.sleep(for: delay)
            if !Task.isCancelled { self.restart(after: generation) }
        }
    }

    private func restart(after generation: Int) {
        guard wanted, !abandoned.value, child == nil, generation == self.generation else { return }
        do {
            try spawn()
            restarts += 1
        } catch {
            logger.error("etcd member \(configuration.name) could not be restarted: \(error)")
            exited(generation: self.generation, status: .exited(-1))
        }
    }

    /// Kills the etcd this supervisor ran before the daemon itself crashed (see `stopLeftoverMember(dataDirectory:)`).
    private func stopLeftoverMember() throws {
        if let pid = Self.stopLeftoverMember(dataDirectory: configuration.dataDirectory) {
            logger.warning("killed leftover etcd member \(configuration.name)", metadata: ["pid": "\(pid)"])
        }
    }

    /// Kills the member whose pid file sits beside `dataDirectory` (`<dir>.pid`) if that process is an etcd with
    /// this data directory on its command line; anything else is left alone. Returns the pid it killed. Used at
    /// start (a daemon that crashed left its member running) and by cleanup after a daemon that was killed.
    @discardableResult
    public nonisolated static func stopLeftoverMember(dataDirectory: String) -> pid_t? {
        let pidFile = dataDirectory + ".pid"
        guard let text = try? FileIO.readString(pidFile), let pid = pid_t(text.filter(\.isNumber)) else {
            return nil
        }
        defer { unlink(pidFile) }
        guard let cmdline = try? FileIO.readFile("/proc/\(pid)/cmdline") else { return nil }
        let argv = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard argv.first.map({ $0.hasSuffix("etcd") }) == true, argv.contains("--data-dir=\(dataDirectory)") else {
            return nil
        }
        Glibc.kill(pid, SIGKILL)
        for _ in 0..<200 where ProcessWatch.isAlive(pid) { usleep(10_000) }
        return pid
    }

    private func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    private func logTail(bytes: Int = 2048) -> String {
        guard let data = try? FileIO.readFile(configuration.logFile) else { return "(no log)" }
        return String(decoding: data.suffix(bytes), as: UTF8.self)
    }
}
