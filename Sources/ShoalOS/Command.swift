import Glibc
import ShoalCore

/// Output of a short command run to completion.
public struct CommandResult: Sendable {
    public var status: ExitStatus
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs short-lived commands (`runc state`, `runc kill` …) and collects their output through pipes read on the
/// reactor. Never use it for anything that leaves a process holding the pipes (`runc create`): it would wait for
/// that process too (FIELD-NOTES).
public enum Command {
    public static func run(
        _ executable: String, _ arguments: [String], stdin: [UInt8]? = nil, environment: [String]? = nil
    ) async throws -> CommandResult {
        let out = try FileIO.pipe()
        let err: (read: Int32, write: Int32)
        do { err = try FileIO.pipe() } catch {
            close(out.read)
            close(out.write)
            throw error
        }
        var input: (read: Int32, write: Int32)? = nil
        if stdin != nil {
            do { input = try FileIO.pipe(nonBlockingRead: false) } catch {
                [out.read, out.write, err.read, err.write].forEach { close($0) }
                throw error
            }
        }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                executable, arguments, environment: environment, fds: [input?.read ?? -1, out.write, err.write])
        } catch {
            [out.read, out.write, err.read, err.write, input?.read ?? -1, input?.write ?? -1]
                .filter { $0 >= 0 }.forEach { close($0) }
            throw error
        }
        close(out.write)
        close(err.write)
        defer {
            close(out.read)
            close(err.read)
        }
        if let input {
            close(input.read)
            defer { close(input.write) }
            try FileIO.setNonBlocking(input.write)
            // A command that exits without reading its input gives EPIPE: not our error, its status tells.
            try? await FileIO.writeAll(input.write, stdin ?? [])
        }
        async let stdoutBytes = FileIO.readToEnd(out.read)
        async let stderrBytes = FileIO.readToEnd(err.read)
        let (stdoutResult, stderrResult) = try await (stdoutBytes, stderrBytes)
        let status = try await child.wait()
        return CommandResult(status: status, stdout: stdoutResult, stderr: stderrResult)
    }
}
