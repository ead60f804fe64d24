import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What came back for one hand-made request.
struct RawExchange: Sendable {
    var received: [UInt8] = []
    /// The daemon closed the connection (read returned 0 or the connection was reset).
    var closed = false
    /// Neither an answer nor a close came before the deadline.
    var timedOut = false
    var connectFailed = false
    /// The daemon stopped reading before all the bytes were sent (it answered early or closed).
    var sendCut = false

    /// Status codes of every response head in what came back (pipelined requests get several).
    var statuses: [Int] {
        let text = String(decoding: received.prefix(1 << 16), as: UTF8.self)
        var codes: [Int] = []
        var rest = Substring(text)
        while let range = rest.range(of: "HTTP/1.1 ") {
            let code = rest[range.upperBound...].prefix(3)
            if code.count == 3, let value = Int(code) { codes.append(value) }
            rest = rest[range.upperBound...]
        }
        return codes
    }

    var status: Int? { statuses.first }

    /// The first response's body (without chunk framing), as text.
    var body: String {
        let text = String(decoding: received, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return "" }
        let head = text[..<split.lowerBound].lowercased()
        let rest = String(text[split.upperBound...])
        guard head.contains("transfer-encoding: chunked") else { return rest }
        var out = ""
        var lines = rest.components(separatedBy: "\r\n")[...]
        while let sizeLine = lines.popFirst(), let size = Int(sizeLine, radix: 16), size > 0, let chunk = lines.popFirst() {
            out += chunk
        }
        return out
    }
}

/// A client that writes exact bytes to a unix socket and reads what comes back, so a test controls every byte
/// of a request, malformed ones included. Blocking calls with socket timeouts: call it off the cooperative pool
/// (`runBlocking`).
enum RawHTTPClient {
    /// Connects, sends `bytes`, half-closes (unless `halfClose` is false) and reads until the daemon closes, `enough`
    /// says the answer is complete, or `timeout` seconds pass.
    static func exchange(socket path: String, _ bytes: [UInt8], halfClose: Bool = true, timeout: Double = 5,
                         readLimit: Int = 1 << 20, enough: (([UInt8]) -> Bool)? = nil) -> RawExchange {
        var result = RawExchange()
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            result.connectFailed = true
            return result
        }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in pathBytes.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            result.connectFailed = true
            return result
        }
        // Short slices so the overall deadline is checked often; the deadline is what bounds the exchange.
        var slice = timeval(tv_sec: 0, tv_usec: 250_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &slice, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &slice, socklen_t(MemoryLayout<timeval>.size))
        let deadline = Date().addingTimeInterval(timeout)

        var offset = 0
        bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let sent = send(fd, raw.baseAddress! + offset, min(raw.count - offset, 1 << 16), Int32(MSG_NOSIGNAL))
                if sent > 0 {
                    offset += sent
                } else if sent < 0, errno == EAGAIN || errno == EINTR, Date() < deadline {
                    continue
                } else {
                    result.sendCut = true
                    return
                }
            }
        }
        if halfClose { shutdown(fd, Int32(SHUT_WR)) }

        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                if result.received.count < readLimit { result.received += buffer.prefix(count) }
                if let enough, enough(result.received) { return result }
            } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                result.closed = true
                return result
            }
            if Date() >= deadline {
                result.timedOut = true
                return result
            }
        }
    }

    /// Whether `bytes` hold one complete response with a Content-Length (or an empty chunked body's end).
    static func completeResponse(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return false }
        let head = text[..<split.lowerBound].lowercased()
        let bodyLength = text.utf8.distance(from: split.upperBound.samePosition(in: text.utf8)!, to: text.utf8.endIndex)
        if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
           let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) {
            return bodyLength >= length
        }
        return head.contains("chunked") && text.hasSuffix("0\r\n\r\n")
    }

    /// A well-formed request with a chunked body (chunks of `size` bytes).
    static func chunkedRequest(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8],
                               size: Int = 1 << 16) -> [UInt8] {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: docker\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        var bytes = Array(text.utf8)
        var rest = body[...]
        while !rest.isEmpty {
            let chunk = rest.prefix(size)
            bytes += Array((String(chunk.count, radix: 16) + "\r\n").utf8) + chunk + Array("\r\n".utf8)
            rest = rest.dropFirst(chunk.count)
        }
        return bytes + Array("0\r\n\r\n".utf8)
    }

    /// A well-formed request.
    static func request(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8]? = nil)
        -> [UInt8] {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: docker\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        text += "\r\n"
        return Array(text.utf8) + (body ?? [])
    }
}

/// The daemon's resident memory and open descriptors, from /proc.
enum ProcessFigures {
    static func rssKiB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    static func openDescriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }

    static func mebibytes(_ kib: Int) -> String { String(format: "%.1f", Double(kib) / 1024) }
}
