import Foundation
import Glibc
import ShoalCore
import ShoalOS
import Synchronization

/// A process started in a running container by `exec`. Its output comes through `attach` (nil for a detached
/// exec); `wait()` gives the exit code and removes the session's files.
public final class ExecSession: Sendable {
    public let containerID: String
    public let sessionID: String
    public let pid: Int32
    public let attach: AttachSession?
    let directory: String
    let syncFD: Int32
    let runtime: ConmonRuntime
    let reader: SendableBox<ConmonPipeReader>

    init(containerID: String, sessionID: String, pid: Int32, attach: AttachSession?, directory: String,
         syncFD: Int32, reader: ConmonPipeReader, runtime: ConmonRuntime) {
        self.containerID = containerID
        self.sessionID = sessionID
        self.pid = pid
        self.attach = attach
        self.directory = directory
        self.syncFD = syncFD
        self.reader = SendableBox(reader)
        self.runtime = runtime
    }

    deinit { close(syncFD) }

    /// Waits for the exec'd process to exit; its exit code (128+N when killed by signal N). Call once.
    public func wait() async throws -> Int32 {
        let message = try await reader.value.next()
        let code: Int32
        if let message {
            code = Int32(message.value)
        } else if let text = try? FileIO.readString(directory + "/exits/" + containerID),
                  let value = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            code = value
        } else {
            code = 255
        }
        await runtime.removeExec(sessionID: sessionID, directory: directory)
        return code
    }

    /// Resizes the exec's tty.
    public func resize(rows: UInt16, cols: UInt16) throws {
        try ConmonControl.resize(fifo: directory + "/ctl", rows: rows, cols: cols)
    }
}

/// Holds a non-Sendable value that only one task uses at a time (the exec's sync pipe reader: wait() is called once).
final class SendableBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// An exec whose conmon is ready and whose output socket is connected, but whose process has not been started:
/// `start()` lets conmon run `runc exec`; `abandon()` removes it unstarted. The API starts the process only once
/// the client has the `101 UPGRADED` head, so the first output never travels in the same read as the head (a
/// client that reads the head through a buffered reader, as docker-py does, would lose it).
public final class PreparedExec: Sendable {
    public let containerID: String
    public let sessionID: String
    public let attach: AttachSession?
    let directory: String
    let runtime: ConmonRuntime
    private struct Pipes {
        var sync: Int32
        var start: Int32
        var claimed = false
    }
    private let pipes: Mutex<Pipes>

    init(containerID: String, sessionID: String, attach: AttachSession?, directory: String, syncFD: Int32,
         startFD: Int32, runtime: ConmonRuntime) {
        self.containerID = containerID
        self.sessionID = sessionID
        self.attach = attach
        self.directory = directory
        self.runtime = runtime
        pipes = Mutex(Pipes(sync: syncFD, start: startFD))
    }

    deinit {
        pipes.withLock { pipes in
            guard !pipes.claimed else { return }
            close(pipes.sync)
            if pipes.start >= 0 { close(pipes.start) }
        }
    }

    private func claim() -> Pipes? {
        pipes.withLock { pipes in
            guard !pipes.claimed else { return nil }
            pipes.claimed = true
            return pipes
        }
    }

    /// Runs the process; its pid is in the session. Throws the runtime's error (and cleans up) when runc cannot
    /// start it, e.g. an executable that is not found. Call once.
    public func start() async throws -> ExecSession {
        guard let pipes = claim() else { throw ShoalError.conflict("exec \(sessionID) was already started") }
        let reader = ConmonPipeReader(fd: pipes.sync)
        do {
            if pipes.start >= 0 {
                // 2nd start message: conmon's child runs `runc exec`.
                defer { close(pipes.start) }
                try await FileIO.writeAll(pipes.start, [0x30])
            }
            guard let message = try await reader.next() else {
                throw ShoalError.internalError("conmon exited without reporting the exec pid")
            }
            guard message.value > 0 else { throw runtime.createError(message.message ?? "runc exec failed") }
            return ExecSession(containerID: containerID, sessionID: sessionID, pid: Int32(message.value),
                               attach: attach, directory: directory, syncFD: pipes.sync, reader: reader,
                               runtime: runtime)
        } catch {
            close(pipes.sync)
            attach?.close()
            await runtime.removeExec(sessionID: sessionID, directory: directory)
            throw error
        }
    }

    /// Removes the exec without running its process (the client went away before the start).
    public func abandon() async {
        guard let pipes = claim() else { return }
        // conmon's child runs `runc exec` as soon as its start pipe ends, even at EOF: kill the child first
        // (conmon then exits by itself), and only then let go of the pipe.
        if let conmon = runtime.readPid(directory + "/conmon.pid"), runtime.isConmon(pid: conmon, id: sessionID) {
            for child in ProcFS.children(of: conmon) { kill(child, SIGKILL) }
        }
        await runtime.removeExec(sessionID: sessionID, directory: directory)
        close(pipes.sync)
        if pipes.start >= 0 { close(pipes.start) }
        attach?.close()
    }
}

extension ConmonRuntime {
    /// `conmon --exec (runc exec --process)`: starts `process` in the running container `id`. With `attach`, the
    /// output socket is connected before runc runs the process, so no output is lost.
    public func exec(id: String, process: OCIProcess, terminal: Bool, stdin: Bool,
                     attach: Bool = true) async throws -> ExecSession {
        try await prepareExec(id: id, process: process, terminal: terminal, stdin: stdin, attach: attach).start()
    }

    /// Sets up an exec up to the point where its process would run: conmon is started and, with `attach`, its
    /// output socket is connected. Without `attach` conmon runs the process at once and `start()` only reads
    /// its pid.
    public func prepareExec(id: String, process: OCIProcess, terminal: Bool, stdin: Bool,
                            attach: Bool = true) async throws -> PreparedExec {
        try Self.validate(id: id)
        let sessionID = "exec-" + String(Identifier.random().prefix(24))
        let directory = paths.execDir(id, session: sessionID)
        try FileIO.makeDirectory(directory + "/exits")
        var process = process
        process.terminal = terminal
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        try AtomicFile.write(Array(try encoder.encode(process)), to: directory + "/process.json", mode: 0o600)

        var arguments = [
            "--api-version", "1", "--cid", id, "--cuuid", sessionID, "--name", sessionID,
            "--runtime", binaries.runc, "--bundle", directory,
            "--container-pidfile", directory + "/pid", "--conmon-pidfile", directory + "/conmon.pid",
            "--log-path", "none", "--exit-dir", directory + "/exits", "--persist-dir", directory,
            "--socket-dir-path", paths.socketDir, "--runtime-arg=--root=" + paths.runcRoot,
            "--runtime-arg=--log-format=json", "--log-level", "error", "--no-sync-log",
            "--exec", "--exec-process-spec", directory + "/process.json",
        ]
        if attach { arguments.append("--exec-attach") }
        if terminal { arguments.append("--terminal") }
        if stdin { arguments.append("--stdin") }

        // Every fd we still own; closed on any failure.
        var owned: [Int32] = []
        do {
            let sync = try FileIO.pipe()
            owned += [sync.read, sync.write]
            let start = try FileIO.pipe(nonBlockingRead: false)
            owned += [start.read, start.write]
            let attachPipe = try FileIO.pipe()
            owned += [attachPipe.read, attachPipe.write]
            var environment = Self.baseEnvironment + ["_OCI_SYNCPIPE=3"]
            var fds: [Int32] = [-1, -1, -1, sync.write]
            if attach {
                environment += ["_OCI_STARTPIPE=4", "_OCI_ATTACHPIPE=5"]
                fds += [start.read, attachPipe.write]
            }
            let child = try ChildProcess.spawn(binaries.conmon, arguments, environment: environment, fds: fds,
                                               newSession: true)
            for fd in [sync.write, start.read, attachPipe.write] { close(fd) }
            owned = [sync.read, start.write, attachPipe.read]
            try FileIO.setNonBlocking(start.write)
            var session: AttachSession? = nil
            if attach {
                // 1st start message: conmon sets up the attach socket and says so on the attach pipe.
                try await FileIO.writeAll(start.write, [0x30])
                let status = try await child.wait()
                guard status == .exited(0) else { throw ShoalError.internalError("conmon exec failed (\(status))") }
                let ready = try await ConmonPipeReader(fd: attachPipe.read).next()
                guard let ready, ready.value >= 0 else {
                    let failure = try await ConmonPipeReader(fd: sync.read).next()
                    throw createError(failure?.message ?? ready?.message ?? "conmon did not open the exec attach socket")
                }
                session = try AttachSession(directory: directory)
            } else {
                let status = try await child.wait()
                guard status == .exited(0) else { throw ShoalError.internalError("conmon exec failed (\(status))") }
                close(start.write)
                owned.removeAll { $0 == start.write }
            }
            close(attachPipe.read)
            return PreparedExec(containerID: id, sessionID: sessionID, attach: session, directory: directory,
                                syncFD: sync.read, startFD: attach ? start.write : -1, runtime: self)
        } catch {
            owned.forEach { close($0) }
            await removeExec(sessionID: sessionID, directory: directory)
            throw error
        }
    }

    /// Stops an exec's conmon (if still there) and removes its socket link and files.
    func removeExec(sessionID: String, directory: String) async {
        await stopConmon(id: sessionID, persistDir: directory, grace: 2)
        unlink(paths.socketLink(sessionID))
        try? FileIO.removeTree(directory)
    }

    /// Builds the process for `docker exec` from the container's own spec: its env plus `env`, its user and
    /// working dir unless given (user resolved in its rootfs), its capabilities (all with `privileged`).
    public func execProcess(id: String, args: [String], env: [String] = [], user: String? = nil,
                            workingDir: String? = nil, privileged: Bool = false) throws -> OCIProcess {
        guard !args.isEmpty else { throw ShoalError.invalidArgument("No exec command specified") }
        let spec = try execSpecs.spec(id: id, path: try bundlePath(id: id) + "/config.json")
        var process = spec.process
        process.args = args
        for entry in env {
            let key = entry.split(separator: "=", maxSplits: 1).first.map(String.init) ?? entry
            if let index = process.env.firstIndex(where: { $0 == key || $0.hasPrefix(key + "=") }) {
                process.env[index] = entry
            } else {
                process.env.append(entry)
            }
        }
        if let user, !user.isEmpty {
            let resolved = try UserResolver.resolve(user, rootfs: spec.root.path)
            process.user = .init(uid: resolved.uid, gid: resolved.gid,
                                 additionalGids: resolved.additionalGids.isEmpty ? nil : resolved.additionalGids)
        }
        if let workingDir, !workingDir.isEmpty { process.cwd = workingDir }
        if privileged { process.capabilities = .init(Capabilities.hostBounding()) }
        return process
    }
}

extension ExecSession {
    /// SIGKILLs the exec'd process (a health check that overran its timeout); `wait()` then gives its end.
    public func kill() {
        _ = Glibc.kill(pid, SIGKILL)
    }
}
