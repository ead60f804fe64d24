import Foundation
import Glibc
import ShoalCore
import ShoalOS

/// The systemd journal's native protocol (what `sd_journal_sendv` speaks): one datagram per entry on the
/// journal's socket, each field `NAME=value\n`, or `NAME\n` + 64-bit little-endian length + bytes + `\n` when
/// the value holds a newline.
public struct Journal: Sendable {
    /// The journal's socket; `SHOAL_JOURNAL_SOCKET` points elsewhere (tests run their own receiver).
    public static var socketPath: String {
        ProcessInfo.processInfo.environment["SHOAL_JOURNAL_SOCKET"] ?? "/run/systemd/journal/socket"
    }

    public let path: String

    public init(path: String = Journal.socketPath) { self.path = path }

    /// Whether a journal listens (Docker's check before its journald driver starts).
    public var isEnabled: Bool {
        guard let fd = UnixSocketProbe.connect(path, type: SOCK_DGRAM) else { return false }
        close(fd)
        return true
    }

    static func encode(_ fields: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for (name, value) in fields {
            out.append(contentsOf: name.utf8)
            if value.contains(UInt8(ascii: "\n")) {
                out.append(UInt8(ascii: "\n"))
                withUnsafeBytes(of: UInt64(value.count).littleEndian) { out.append(contentsOf: $0) }
            } else {
                out.append(UInt8(ascii: "="))
            }
            out.append(contentsOf: value)
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    /// Sends a container's log entries as they come, with Docker's fields (`fields`: CONTAINER_ID, its name,
    /// tag …), until the sequence ends or the task is cancelled. `cursor` records after each entry how far it
    /// got (the entry's time and how many entries of that time were sent; one small pwrite, cheap beside the
    /// send), so a restarted daemon neither repeats nor skips entries.
    public func forward(_ entries: (LogTimestamp?) -> K8sLogStream, fields: [(String, String)],
                        cursor: String) async {
        let saved = Self.readCursor(cursor)
        var last = saved?.time
        var sameTime = saved?.count ?? 0
        var toSkip = sameTime
        let constant = fields.map { ($0.0, Array($0.1.utf8)) }
        var fd: Int32 = -1
        let cursorFD = open(cursor, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        defer {
            if fd >= 0 { close(fd) }
            if cursorFD >= 0 { close(cursorFD) }
        }
        do {
            for try await entry in entries(last) {
                if entry.timestamp == last && toSkip > 0 {
                    toSkip -= 1
                    continue
                }
                toSkip = 0
                if fd < 0 { fd = UnixSocketProbe.connect(path, type: SOCK_DGRAM) ?? -1 }
                var message = entry.bytes
                if message.last == UInt8(ascii: "\n") { message.removeLast() }
                let priority = entry.stream == .stderr ? "3" : "6"
                let datagram = Self.encode([("MESSAGE", message), ("PRIORITY", Array(priority.utf8))] + constant)
                // A journal gone away (or an entry too big for one datagram) loses that entry, not the rest.
                if fd >= 0 && datagram.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) < 0 {
                    close(fd)
                    fd = -1
                }
                sameTime = entry.timestamp == last ? sameTime + 1 : 1
                last = entry.timestamp
                Self.writeCursor(cursorFD, time: entry.timestamp, count: sameTime)
            }
        } catch {}
    }

    static func readCursor(_ path: String) -> (time: LogTimestamp, count: Int)? {
        guard let text = try? FileIO.readString(path) else { return nil }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard parts.count == 2, let time = LogTimestamp(rfc3339: parts[0]), let count = Int(parts[1]) else {
            return nil
        }
        return (time, count)
    }

    /// One fixed-size record at the start of the file (padded with spaces, so a shorter one leaves no tail).
    static func writeCursor(_ fd: Int32, time: LogTimestamp, count: Int) {
        guard fd >= 0 else { return }
        var record = Array("\(time) \(count)".utf8)
        record += [UInt8](repeating: UInt8(ascii: " "), count: max(0, 63 - record.count)) + [UInt8(ascii: "\n")]
        _ = record.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }
}
