import Foundation
import Glibc
import ShoalCore
import ShoalOS

extension ConmonRuntime {
    /// `conmon … (runc create)`: writes `<bundle>/config.json`, starts this container's conmon, and returns the
    /// container's pid once `runc create` succeeded (state `created`; call `start(id:)` next, attach before that
    /// to miss no output). On failure the error carries runc's message and nothing is left behind: no conmon,
    /// no runc state, no cgroup.
    ///
    /// - Parameters:
    ///   - logPath: k8s-file log written by conmon (`<RFC3339Nano> stdout|stderr F|P <text>`); nil for none
    ///     (Docker's `none` driver: output only reaches attached clients).
    ///   - openStdin: `-i`: conmon keeps a pipe to the container's stdin, fed through the attach socket.
    ///   - stdinOnce: Docker's StdinOnce: close the container's stdin when the first attached client leaves.
    @discardableResult
    public func create(id: String, bundle: String, spec: OCISpec, logPath: String?, terminal: Bool,
                       openStdin: Bool, stdinOnce: Bool = true) async throws -> Int32 {
        try Self.validate(id: id)
        var spec = spec
        spec.process.terminal = terminal
        let persist = paths.persistDir(id)
        if FileIO.exists(paths.runcRoot + "/" + id) {
            throw ShoalError.conflict("container \(id) already exists in runc; delete it first")
        }
        removeFiles(id: id)
        for name in ["attach", "ctl", "winsz"] { unlink(bundle + "/" + name) }
        try FileIO.makeDirectory(persist)
        if let logPath,
           let logDir = logPath.range(of: "/", options: .backwards).map({ String(logPath[..<$0.lowerBound]) }),
           !logDir.isEmpty {
            try FileIO.makeDirectory(logDir)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(Array(try encoder.encode(spec)), to: bundle + "/config.json", mode: 0o600)

        var arguments = [
            "--api-version", "1", "--cid", id, "--cuuid", id, "--name", id,
            "--runtime", binaries.runc, "--bundle", bundle,
            "--container-pidfile", paths.containerPidFile(id), "--conmon-pidfile", paths.conmonPidFile(id),
            "--log-path", logPath.map { "k8s-file:" + $0 } ?? "none",
            "--exit-dir", paths.exitDir, "--persist-dir", persist,
            "--socket-dir-path", paths.socketDir, "--runtime-arg=--root=" + paths.runcRoot,
            "--runtime-arg=--log-format=json", "--log-level", "error", "--no-sync-log",
        ]
        if terminal { arguments.append("--terminal") }
        if openStdin { arguments.append("--stdin") }
        if openStdin && !stdinOnce { arguments.append("--leave-stdin-open") }

        do {
            let (message, pid) = try await runConmon(arguments: arguments)
            guard pid > 0 else {
                throw createError(message ?? "conmon reported no container pid")
            }
            return Int32(pid)
        } catch {
            await undoFailedCreate(id: id, cgroupsPath: spec.linux.cgroupsPath)
            throw error
        }
    }

    func createError(_ raw: String) -> ShoalError {
        let message = RuncMessages.errorText(raw)
        return ShoalError(RuncMessages.isUserError(message) ? .invalidArgument : .internalError, message)
    }

    /// Starts conmon with the sync pipe as fd 3 and returns its first sync message: (error text, pid).
    func runConmon(arguments: [String]) async throws -> (String?, Int) {
        let sync = try FileIO.pipe()
        let stderr: (read: Int32, write: Int32)
        do { stderr = try FileIO.pipe() } catch {
            close(sync.read)
            close(sync.write)
            throw error
        }
        defer { close(sync.read) }
        defer { close(stderr.read) }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                binaries.conmon, arguments, environment: Self.baseEnvironment + ["_OCI_SYNCPIPE=3"],
                fds: [-1, -1, stderr.write, sync.write], newSession: true)
        } catch {
            close(sync.write)
            close(stderr.write)
            throw error
        }
        close(sync.write)
        close(stderr.write)
        // conmon forks its monitor and the first process exits at once (after writing the conmon pidfile).
        let status = try await child.wait()
        guard status == .exited(0) else {
            let text = String(decoding: try await FileIO.readToEnd(stderr.read), as: UTF8.self)
            throw ShoalError.internalError("conmon failed (\(status)): \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let reader = ConmonPipeReader(fd: sync.read)
        guard let message = try await reader.next() else {
            throw ShoalError.internalError("conmon exited without reporting the container's pid")
        }
        if message.value < 0 { return (message.message ?? "runc create failed", message.value) }
        return (nil, message.value)
    }

    /// After a failed create: make sure runc forgot the container, conmon is gone and the cgroup removed.
    func undoFailedCreate(id: String, cgroupsPath: String?) async {
        _ = try? await Command.run(binaries.runc, ["--root", paths.runcRoot, "delete", "--force", id],
                                   environment: Self.baseEnvironment)
        await stopConmon(id: id, grace: 2)
        removeFiles(id: id)
        if let cgroupsPath { CgroupHierarchies.remove(path: cgroupsPath) }
    }
}
