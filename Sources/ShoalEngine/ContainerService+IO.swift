import Foundation
import ShoalCore
import ShoalModel
import ShoalOS
import ShoalRuntime

extension ContainerService {
    // MARK: attach

    /// Attaches to a running container, or to a created or exited one (connected when it starts, so
    /// `docker run` and `docker start -a` miss no output; the CLI itself refuses `docker attach` to a stopped one).
    public func attach(_ ref: String, stdin: Bool, stdout: Bool, stderr: Bool) throws -> any StreamSession {
        let record = try resolve(ref)
        let session = ContainerStreamSession(tty: record.spec.tty, stdin: stdin && record.spec.openStdin,
                                             stdout: stdout, stderr: stderr)
        switch record.state.status {
        case .created, .restarting, .exited:
            pendingAttaches[record.id, default: []].append(session)
        case .running, .paused:
            Task { [runtime] in
                do {
                    await session.connect(try runtime.attach(id: record.id))
                } catch {
                    session.end()
                }
            }
        case .dead, .removing:
            throw ShoalError.conflict("You cannot attach to a stopped container, start it first")
        }
        publish(record, "attach")
        return session
    }

    public func resize(_ ref: String, height: Int, width: Int) throws {
        let record = try resolve(ref)
        guard record.state.isRunning else { throw ShoalError.conflict("Container \(record.id) is not running") }
        try runtime.resize(id: record.id, rows: UInt16(clamping: height), cols: UInt16(clamping: width))
    }

    // MARK: logs

    /// `docker logs`. `joinLines`: consecutive lines of one stream may come as one entry (for `docker logs`;
    /// not for service logs, whose clients read one message per frame).
    public func logs(_ ref: String, options: ShoalModel.LogOptions,
                     joinLines: Bool = false) throws -> AsyncThrowingStream<ShoalModel.LogEntry, any Error> {
        let record = try resolve(ref)
        if record.spec.host.logConfig?.type == "none" {
            // Docker's ErrReadLogsNotSupported (501).
            throw ShoalError(.notImplemented, "configured logging driver does not support reading")
        }
        let runtimeOptions = ShoalRuntime.LogOptions(
            stdout: options.stdout, stderr: options.stderr, since: options.since.map(LogTimestamp.init(date:)),
            until: options.until.map(LogTimestamp.init(date:)), tail: options.tail,
            follow: options.follow && record.state.isRunning)
        let source = runtime.logs(id: record.id, logPath: paths.logPath(record.id), options: runtimeOptions)
        // Without timestamps nobody needs a message per line: a run of one stream's lines from one read of the
        // log goes out as one entry (one write, one frame), which is what makes a large log fast to read.
        let joined = joinLines && !options.timestamps
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await batch in source.batches {
                        for entry in joined ? Self.joinRuns(batch) : batch {
                            continuation.yield(ShoalModel.LogEntry(
                                stream: entry.stream == .stderr ? .stderr : .stdout, time: entry.timestamp.date,
                                bytes: entry.bytes))
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Consecutive entries of one stream made one (the first one's time), up to 64 KiB each.
    static func joinRuns(_ entries: [ShoalRuntime.LogEntry]) -> [ShoalRuntime.LogEntry] {
        var joined: [ShoalRuntime.LogEntry] = []
        for entry in entries {
            if let last = joined.last, last.stream == entry.stream, last.bytes.count < 64 * 1024 {
                joined[joined.count - 1].bytes.append(contentsOf: entry.bytes)
            } else {
                joined.append(entry)
            }
        }
        return joined
    }

    // MARK: diff, top, stats

    /// `docker diff`: what the container's writable layer changed against its image (nothing before its first
    /// start, when it has no layer yet).
    public func changes(_ ref: String) async throws -> [FilesystemChange] {
        let record = try resolve(ref)
        let upper = paths.upperDirectory(record.id)
        let lowers = try await images.layerDirectories(for: record.imageID)
        return try await runBlocking { LayerChanges.compute(upper: upper, lowers: lowers) }
    }

    public func top(_ ref: String) async throws -> ShoalModel.ProcessTable {
        let record = try resolve(ref)
        guard record.state.isRunning else { throw ShoalError.conflict("Container \(record.id) is not running") }
        let table = try await runtime.ps(id: record.id)
        return ShoalModel.ProcessTable(titles: table.titles, processes: table.processes)
    }

    public func stats(_ ref: String) async throws -> ShoalModel.ContainerStats {
        let record = try resolve(ref)
        var stats = ShoalModel.ContainerStats(read: Date(), onlineCPUs: ProcessInfo.processInfo.activeProcessorCount)
        guard record.state.isRunning else { return stats }
        let sample = try await runtime.stats(id: record.id)
        stats.read = Date()
        stats.cpuTotalNanos = sample.cpuTotalUsage
        stats.perCPUNanos = sample.perCPUUsage
        stats.cpuKernelNanos = sample.cpuKernelUsage
        stats.cpuUserNanos = sample.cpuUserUsage
        stats.systemCPUNanos = sample.systemCPUUsage
        stats.onlineCPUs = sample.onlineCPUs
        stats.throttlingPeriods = sample.throttlingPeriods
        stats.throttledPeriods = sample.throttledPeriods
        stats.throttledNanos = sample.throttledTime
        stats.memoryUsage = sample.memoryUsage
        stats.memoryMaxUsage = sample.memoryMaxUsage
        // As Docker: without a limit (cgroup v1 reports ~2^63) the limit shown is the machine's memory.
        stats.memoryLimit = min(sample.memoryLimit, ProcessInfo.processInfo.physicalMemory)
        stats.memoryStats = sample.memoryStats
        stats.pids = sample.pidsCurrent
        stats.pidsLimit = sample.pidsLimit
        // The host's interfaces are not the container's: Docker shows none with `--network host`.
        stats.networks = record.spec.host.networkMode == "host" ? [:] : sample.networks
        stats.ioServiceBytes = sample.ioServiceBytes
        stats.ioServiced = sample.ioServiced
        return stats
    }

    // MARK: exec

    public func createExec(_ ref: String, spec: ExecSpec) throws -> String {
        let record = try resolve(ref)
        guard record.state.status == .running else {
            if record.state.status == .paused {
                throw ShoalError.conflict("Container \(record.id) is paused, unpause the container before exec")
            }
            throw ShoalError.conflict("Container \(record.id) is not running")
        }
        let id = Identifier.random()
        var spec = spec
        // As Docker: a process given a terminal gets TERM=xterm unless the user set TERM.
        if spec.tty && !spec.env.contains(where: { $0.hasPrefix("TERM=") }) { spec.env.append("TERM=xterm") }
        execs[id] = ExecRecord(id: id, containerID: record.id, spec: spec)
        publish(record, "exec_create: " + spec.cmd.joined(separator: " "), extra: ["execID": id])
        return id
    }

    public func exec(_ id: String) throws -> ExecRecord {
        guard let exec = execs[id] else { throw ShoalError.notFound("No such exec instance: \(id)") }
        return exec
    }

    public func startExec(_ id: String, detach: Bool) async throws -> (any StreamSession)? {
        guard var exec = execs[id] else { throw ShoalError.notFound("No such exec instance: \(id)") }
        guard !exec.running, exec.exitCode == nil else {
            throw ShoalError.conflict("Error: Exec command \(id) has already run")
        }
        guard let record = records[exec.containerID], record.state.status == .running else {
            throw ShoalError.conflict("Container \(exec.containerID) is not running")
        }
        let process = try runtime.execProcess(
            id: record.id, args: exec.spec.cmd, env: exec.spec.env, user: exec.spec.user,
            workingDir: exec.spec.workingDir, privileged: exec.spec.privileged)
        let prepared = try await runtime.prepareExec(
            id: record.id, process: process, terminal: exec.spec.tty, stdin: exec.spec.attachStdin && !detach,
            attach: !detach)
        exec.running = true
        execs[id] = exec
        let exited = Promise<Int32>()
        guard !detach, let attach = prepared.attach else {
            do {
                try await runExec(id, prepared, exited: exited)
            } catch {
                exited.fulfill(execFailed(id, error))
                throw error
            }
            return nil
        }
        // The process runs when the API calls `begin()`, once the client has the 101 head.
        let stream = ContainerStreamSession(tty: exec.spec.tty, stdin: exec.spec.attachStdin, stdout: true, stderr: true)
        stream.setBeginHandlers(
            begin: { [weak self, weak stream] in
                guard let self else { return }
                do {
                    try await self.runExec(id, prepared, exited: exited)
                } catch {
                    let code = await self.execFailed(id, error)
                    // As Docker: the error goes to the client's stdout, and the CLI takes the exit code (126/127)
                    // from the exec's inspect.
                    let text = (error as? ShoalError)?.message ?? String(describing: error)
                    stream?.yield(StreamChunk(.stdout, Array("OCI runtime exec failed: \(text): unknown\r\n".utf8)))
                    exited.fulfill(code)
                }
            },
            detachBeforeBegin: { [weak self] in
                await prepared.abandon()
                await self?.execFailed(id, ShoalError.internalError("the client left before the exec started"))
            })
        await stream.connect(attach, beforeEnd: { _ = await exited.value })
        return stream
    }

    /// Runs a prepared exec's process and records it as running; `exited` gets its exit code.
    private func runExec(_ id: String, _ prepared: PreparedExec, exited: Promise<Int32>) async throws {
        let session = try await prepared.start()
        if var exec = execs[id] {
            exec.pid = session.pid
            execs[id] = exec
            if let record = records[exec.containerID] {
                publish(record, "exec_start: " + exec.spec.cmd.joined(separator: " "), extra: ["execID": id])
            }
        }
        Task {
            let code = (try? await session.wait()) ?? 126
            self.execExited(id, code: code)
            exited.fulfill(code)
        }
    }

    /// Records an exec whose process could not start, with the code Docker gives it; returns that code.
    @discardableResult
    private func execFailed(_ id: String, _ error: any Error) -> Int32 {
        let code = Self.startFailureExitCode(String(describing: error))
        if var exec = execs[id] {
            exec.running = false
            exec.exitCode = code
            execs[id] = exec
        }
        return code
    }

    func execExited(_ id: String, code: Int32) {
        guard var exec = execs[id] else { return }
        exec.running = false
        exec.exitCode = code
        execs[id] = exec
        if let record = records[exec.containerID] {
            publish(record, "exec_die", extra: ["execID": id, "exitCode": String(code)])
        }
    }

    public func resizeExec(_ id: String, height: Int, width: Int) throws {
        guard execs[id] != nil else { throw ShoalError.notFound("No such exec instance: \(id)") }
    }
}

extension LogTimestamp {
    init(date: Date) {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        self.init(seconds: Int64(seconds), nanoseconds: Int32((date.timeIntervalSince1970 - seconds) * 1e9))
    }

    var date: Date { Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1e9) }
}
