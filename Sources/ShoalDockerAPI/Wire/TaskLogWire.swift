import Foundation
import ShoalModel

/// A task's log line on Docker's wire (`GET /services/{id}/logs`, `/tasks/{id}/logs`), as Docker's
/// WriteLogStream writes it: `[timestamp ][details ]line`. The CLI parses the details back to print its
/// `name.slot.id@node    | ` prefix, so their form is exact: the context's attributes sorted by key, each key and
/// value query-escaped, joined by commas.
enum TaskLogWire {
    /// The key prefix of the context attributes (SwarmKit's `com.docker.swarm`).
    static let contextPrefix = "com.docker.swarm"

    static func details(_ context: TaskLogContext) -> String {
        [("\(contextPrefix).node.id", context.nodeID), ("\(contextPrefix).service.id", context.serviceID),
         ("\(contextPrefix).task.id", context.taskID)]
            .sorted { $0.0 < $1.0 }
            .map { "\(queryEscape($0.0))=\(queryEscape($0.1))" }
            .joined(separator: ",")
    }

    static func line(_ message: TaskLogMessage, details: Bool, timestamps: Bool) -> [UInt8] {
        var prefix = ""
        if timestamps { prefix += Wire.rfc3339NanoFixed(message.entry.time) + " " }
        if details { prefix += Self.details(message.context) + " " }
        return Array(prefix.utf8) + message.entry.bytes
    }

    /// Go's url.QueryEscape: letters, digits and `-_.~` stay, a space is `+`, every other byte `%XX`.
    static func queryEscape(_ text: String) -> String {
        var escaped = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                 UInt8(ascii: "~"):
                escaped.unicodeScalars.append(UnicodeScalar(byte))
            case UInt8(ascii: " "):
                escaped += "+"
            default:
                escaped += String(format: "%%%02X", byte)
            }
        }
        return escaped
    }
}
