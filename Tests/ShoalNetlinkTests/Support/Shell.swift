import Foundation

struct CommandFailure: Error, CustomStringConvertible {
    let command: [String]
    let status: Int32
    let stderr: String
    var description: String { "`\(command.joined(separator: " "))` exited \(status): \(stderr)" }
}

struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs tools (`ip`, `bridge`, `strace`) with Foundation.Process. Output goes to temporary files rather than pipes
/// so a chatty command (strace) can never block on a full pipe.
enum Shell {
    static func run(_ command: [String]) throws -> CommandResult {
        let directory = FileManager.default.temporaryDirectory
        let token = UUID().uuidString
        let outURL = directory.appendingPathComponent("shnl-\(token).out")
        let errURL = directory.appendingPathComponent("shnl-\(token).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return CommandResult(status: process.terminationStatus,
                             stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// Runs and throws unless the command exited 0; returns stdout.
    @discardableResult
    static func must(_ command: [String]) throws -> String {
        let result = try run(command)
        guard result.status == 0 else {
            throw CommandFailure(command: command, status: result.status, stderr: result.stderr)
        }
        return result.stdout
    }
}
