import Foundation
import ShoalTestSupport

struct CommandFailure: Error, CustomStringConvertible {
    let command: [String]
    let status: Int32
    let stderr: String
    var description: String { "`\(command.joined(separator: " "))` exited \(status): \(stderr)" }
}

typealias CommandResult = ShoalTestSupport.Shell.Result

/// Runs tools (`ip`, `bridge`, `strace`) found on the PATH, with ShoalTestSupport's Shell: output goes to files
/// rather than pipes so a chatty command (strace) can never block on a full pipe, and waiting blocks no thread.
enum Shell {
    static func run(_ command: [String]) async throws -> CommandResult {
        try await ShoalTestSupport.Shell.run("/usr/bin/env", command)
    }

    /// Runs and throws unless the command exited 0; returns stdout.
    @discardableResult
    static func must(_ command: [String]) async throws -> String {
        let result = try await run(command)
        guard result.status == 0 else {
            throw CommandFailure(command: command, status: result.status, stderr: result.stderr)
        }
        return result.stdout
    }
}
