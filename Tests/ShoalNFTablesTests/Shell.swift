import Foundation
import ShoalTestSupport

/// What a finished command printed and returned.
typealias CommandResult = ShoalTestSupport.Shell.Result

extension CommandResult {
    var succeeded: Bool { status == 0 }
}

/// Runs host tools (`ip`, `nft`, `python3`) for the namespace tests by name, with ShoalTestSupport's Shell (output
/// through files, so a chatty command can never block on a full pipe; waited for without blocking a thread).
enum Shell {
    struct Failure: Error, CustomStringConvertible {
        var command: [String]
        var result: CommandResult
        var description: String {
            "`\(command.joined(separator: " "))` exited \(result.status): \(result.stderr)\(result.stdout)"
        }
    }

    /// The absolute path of a tool, looked up in the usual system directories (tests may run with a short PATH).
    static func tool(_ name: String) -> String {
        if name.hasPrefix("/") { return name }
        for directory in ["/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
            let path = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return name
    }

    /// Runs a command to completion. `arguments[0]` is a tool name or path.
    @discardableResult
    static func run(_ arguments: [String]) async throws -> CommandResult {
        try await ShoalTestSupport.Shell.run(tool(arguments[0]), Array(arguments.dropFirst()))
    }

    /// Runs a command and throws unless it succeeds.
    @discardableResult
    static func must(_ arguments: [String]) async throws -> CommandResult {
        let result = try await run(arguments)
        guard result.succeeded else { throw Failure(command: arguments, result: result) }
        return result
    }
}
