import Foundation
import ShoalCore
import ShoalOS

/// `nft -f -` with a script on its input, in the daemon's own network namespace or in another one
/// (`nsenter --net=PATH nft -f -`: nsenter only enters the namespace and execs nft, no shell and no mount
/// namespace, unlike `ip netns exec`, see FIELD-NOTES). Waiting for nft suspends; it never blocks a thread.
enum NFTCommand {
    static let nft = locate("nft")
    static let nsenter = locate("nsenter")

    /// Runs the script; throws `ShoalError.internalError` with nft's complaint when it refuses it.
    static func apply(_ script: String, inNetns path: String? = nil) async throws {
        let result: CommandResult
        if let path {
            result = try await Command.run(nsenter, ["--net=" + path, "--", nft, "-f", "-"], stdin: Array(script.utf8))
        } else {
            result = try await Command.run(nft, ["-f", "-"], stdin: Array(script.utf8))
        }
        guard result.status == .exited(0) else {
            let complaint = result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
            throw ShoalError.internalError("nftables\(path.map { " in \($0)" } ?? ""): \(complaint)")
        }
    }

    /// The tool's path in the usual system directories (the daemon may run with a short PATH).
    private static func locate(_ name: String) -> String {
        let candidates = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map { $0 + "/" + name }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }
}
