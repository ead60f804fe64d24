import Foundation
import NIOCore
import NIOPosix
import ShoalCore
import Testing
@testable import ShoalDNS

#if canImport(Glibc)
import Glibc
#endif

/// The suites that run servers on loopback or measure time, one at a time: on a 2-core machine a CPU-heavy fuzz run
/// next to a forwarding test would turn its one-second upstream timeouts into failures that say nothing.
@Suite(.serialized) enum LoopbackNetwork {}

/// A resolver answering from a closure, counting its calls: the fake upstream behind a `DNSServer`.
final class ClosureResolver: DNSResolver, @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private let body: @Sendable (DNSMessage) -> DNSMessage?

    init(_ body: @escaping @Sendable (DNSMessage) -> DNSMessage?) { self.body = body }

    var calls: Int { lock.withLock { count } }

    func resolve(_ query: DNSMessage) async -> DNSMessage? {
        lock.withLock { count += 1 }
        return body(query)
    }
}

/// Raw UDP sockets for what NIO should not do for us: a bound socket that never answers (a dead upstream that
/// swallows packets), a port nobody listens on, and fire-and-forget sends of arbitrary bytes.
enum RawSocket {
    /// A UDP socket bound to 127.0.0.1 on a free port that is never read. Returns (fd, port).
    static func silentUDP() -> (CInt, Int) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        precondition(fd >= 0)
        let port = bindLoopback(fd)
        return (fd, port)
    }

    /// A loopback port that was free a moment ago and is closed now: sending there gets ICMP port unreachable.
    static func closedUDPPort() -> Int {
        let (fd, port) = silentUDP()
        close(fd)
        return port
    }

    /// A bound (and for TCP listening) loopback socket, as the engine would create inside a netns.
    static func boundLoopback(tcp: Bool, port: Int = 0) -> (CInt, Int) {
        let fd = socket(AF_INET, Int32(tcp ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue), 0)
        precondition(fd >= 0)
        var one: CInt = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
        let chosen = bindLoopback(fd, port: port)
        if tcp { precondition(listen(fd, 64) == 0) }
        return (fd, chosen)
    }

    private static func bindLoopback(_ fd: CInt, port: Int = 0) -> Int {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        precondition(bound == 0, "bind failed: \(errno)")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A non-blocking UDP socket for blasting packets; sends that would block are skipped.
    final class Sender {
        let fd: CInt
        var destination = sockaddr_in()

        init(port: Int) {
            fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            precondition(fd >= 0)
            destination.sin_family = sa_family_t(AF_INET)
            destination.sin_port = in_port_t(UInt16(port).bigEndian)
            destination.sin_addr.s_addr = inet_addr("127.0.0.1")
        }

        /// Returns false when the packet could not be queued (EAGAIN) — UDP may drop, that is fine for fuzzing.
        @discardableResult
        func send(_ bytes: [UInt8]) -> Bool {
            bytes.withUnsafeBytes { raw in
                withUnsafePointer(to: &destination) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            } >= 0
        }

        func drain() {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while recv(fd, &buffer, buffer.count, 0) > 0 {}
        }

        deinit { close(fd) }
    }
}

/// Client side of a test: one query to a server we started, over UDP or TCP, taking the first reply with our id.
enum TestClient {
    static func ask(
        _ query: DNSMessage, port: Int, over transport: DNSUpstreamExchange.Transport = .udp,
        timeout: TimeAmount = .seconds(2)
    ) async throws -> DNSMessage {
        try await send(query.encoded(), port: port, over: transport, timeout: timeout, expectID: query.header.id)
    }

    static func send(
        _ bytes: [UInt8], port: Int, over transport: DNSUpstreamExchange.Transport = .udp,
        timeout: TimeAmount = .seconds(2), expectID: UInt16? = nil
    ) async throws -> DNSMessage {
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        return try await DNSUpstreamExchange.exchange(
            bytes, with: address, over: transport, timeout: timeout, group: MultiThreadedEventLoopGroup.singleton
        ) { reply in
            guard let message = try? DNSMessage(decoding: reply) else { return nil }
            if let expectID, message.header.id != expectID { return nil }
            return message
        }
    }
}

/// Starts a server on 127.0.0.1 with a free port and closes it after `body`, even when `body` throws.
func withServer<T>(
    resolver: any DNSResolver, limits: DNSServer.Limits = DNSServer.Limits(),
    _ body: (DNSServer, Int) async throws -> T
) async throws -> T {
    let server = try await DNSServer.bind(host: "127.0.0.1", port: 0, resolver: resolver, limits: limits)
    do {
        let result = try await body(server, server.udpAddress!.port!)
        await server.close()
        return result
    } catch {
        await server.close()
        throw error
    }
}

extension DNSResourceRecord {
    static func a(_ name: DNSName, _ address: String, ttl: UInt32 = 60) -> DNSResourceRecord {
        DNSResourceRecord(name: name, ttl: ttl, data: .a(try! DNSIPv4Address(address)))
    }

    static func a(_ name: String, _ address: String, ttl: UInt32 = 60) -> DNSResourceRecord {
        a(try! DNSName(name), address, ttl: ttl)
    }
}

/// Literals as names keep the tests readable. Not in the library: with the conformance, `DNSName("a..b")` with a
/// literal argument would be a literal coercion that traps instead of throwing.
extension DNSName: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        do { try self.init(String(value)) } catch { preconditionFailure("invalid DNS name literal \(value): \(error)") }
    }
}
