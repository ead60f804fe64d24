import Foundation
import ShoalOS

/// Turns what runc and conmon print into messages users can act on. runc runs with `--log-format=json`, so its
/// errors are lines like {"level":"error","msg":"runc create failed: …"}; older text lines (`msg="…"`) and plain
/// text are handled too. The text is kept: Docker's CLI maps "executable file not found" / "no such file or
/// directory" to exit 127 and "permission denied" to 126.
enum RuncMessages {
    static func errorText(_ raw: String) -> String {
        var messages: [String] = []
        for line in raw.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("{"), let data = trimmed.data(using: .utf8),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let msg = object["msg"] as? String {
                if (object["level"] as? String).map({ $0 == "error" || $0 == "fatal" }) ?? true { messages.append(msg) }
            } else if let range = trimmed.range(of: "msg=\"") {
                messages.append(unquoteGo(String(trimmed[range.upperBound...])))
            } else if !trimmed.isEmpty {
                messages.append(trimmed)
            }
        }
        let text = messages.joined(separator: "; ")
        return text.isEmpty ? raw.trimmingCharacters(in: .whitespacesAndNewlines) : text
    }

    /// Reads a Go-quoted string body up to its closing quote (the opening one already consumed).
    private static func unquoteGo(_ body: String) -> String {
        var out = ""
        var escaped = false
        for character in body {
            if escaped {
                switch character {
                case "n": out.append("\n")
                case "t": out.append("\t")
                default: out.append(character)
                }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                break
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// The code Docker's API gives a failed create/start: bad command → invalid argument (the CLI exits 126/127).
    static func isUserError(_ message: String) -> Bool {
        let lower = message.lowercased()
        return lower.contains("executable file not found") || lower.contains("no such file or directory")
            || lower.contains("permission denied") || lower.contains("not a directory")
    }
}

/// One message conmon writes on its sync/attach pipes: `{"data": N, "message": "…"}` (API version 1).
struct ConmonSyncMessage: Decodable {
    var data: Int?
    var pid: Int?
    var message: String?
    var value: Int { data ?? pid ?? -1 }
}

/// Reads newline-terminated JSON messages from a pipe conmon writes.
final class ConmonPipeReader {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    /// The next message, or nil at end of file.
    func next() async throws -> ConmonSyncMessage? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.isEmpty { continue }
                return try JSONDecoder().decode(ConmonSyncMessage.self, from: Data(line))
            }
            guard let chunk = try await FileIO.read(fd) else {
                if buffer.isEmpty { return nil }
                let line = buffer
                buffer = []
                return try JSONDecoder().decode(ConmonSyncMessage.self, from: Data(line))
            }
            buffer.append(contentsOf: chunk)
        }
    }
}
