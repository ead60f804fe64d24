import Foundation

/// What a finished command printed and returned.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var succeeded: Bool { status == 0 }
}

/// Runs host tools (`ip`, `nft`, `python3`) for the namespace tests; output goes through files, so a chatty
/// command can never block on a full pipe.
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
    static func run(_ arguments: [String]) throws -> CommandResult {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-nft-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out")
        let errURL = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0].hasPrefix("/") ? arguments[0] : tool(arguments[0]))
        process.arguments = Array(arguments.dropFirst())
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        return CommandResult(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        )
    }

    /// Runs a command and throws unless it succeeds.
    @discardableResult
    static func must(_ arguments: [String]) throws -> CommandResult {
        let result = try run(arguments)
        guard result.succeeded else { throw Failure(command: arguments, result: result) }
        return result
    }

    /// Starts a long-running command with its output discarded; the caller kills it by pid.
    static func spawn(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0].hasPrefix("/") ? arguments[0] : tool(arguments[0]))
        process.arguments = Array(arguments.dropFirst())
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}
