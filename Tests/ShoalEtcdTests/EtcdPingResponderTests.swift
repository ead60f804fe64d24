import NIOCore
import NIOEmbedded
import Testing

@testable import ShoalEtcd

/// The PING cure at the byte level: PING requests are answered and swallowed, everything else passes untouched,
/// however the bytes are split across reads.
@Suite struct EtcdPingResponderTests {
    /// An HTTP/2 frame: 24-bit length, type, flags, 31-bit stream id, payload (RFC 9113 §4.1).
    static func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags]
            + [UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)]
            + payload
    }

    static let settings = frame(type: 0x4, payload: [0, 3, 0, 0, 0, 100])
    static let ping = frame(type: 0x6, payload: [1, 2, 3, 4, 5, 6, 7, 8])
    static let pingAck = frame(type: 0x6, flags: 0x1, payload: [1, 2, 3, 4, 5, 6, 7, 8])
    static let data = frame(type: 0x0, flags: 0x1, stream: 1, payload: Array(repeating: 0xab, count: 300))

    /// Feeds `chunks` as separate reads; returns the bytes passed on and the bytes written back.
    func run(_ chunks: [[UInt8]]) throws -> (passed: [UInt8], written: [UInt8], answered: Int) {
        let responder = EtcdPingResponder()
        let channel = EmbeddedChannel(handler: responder)
        for chunk in chunks {
            try channel.writeInbound(ByteBuffer(bytes: chunk))
        }
        var passed: [UInt8] = []
        while var buffer = try channel.readInbound(as: ByteBuffer.self) {
            passed += buffer.readBytes(length: buffer.readableBytes) ?? []
        }
        var written: [UInt8] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            written += buffer.readBytes(length: buffer.readableBytes) ?? []
        }
        _ = try channel.finish()
        return (passed, written, responder.pingsAnswered)
    }

    @Test func answersAPingAndPassesTheRest() throws {
        let result = try run([Self.settings + Self.ping + Self.data])
        #expect(result.passed == Self.settings + Self.data)
        #expect(result.written == Self.pingAck)
        #expect(result.answered == 1)
    }

    @Test func splitAnywhere() throws {
        let stream = Self.settings + Self.ping + Self.data + Self.ping + Self.settings
        for cut in 1..<stream.count {
            for second in stride(from: cut + 1, to: stream.count, by: 7) {
                let result = try run([Array(stream[..<cut]), Array(stream[cut..<second]), Array(stream[second...])])
                #expect(result.passed == Self.settings + Self.data + Self.settings, "cut at \(cut), \(second)")
                #expect(result.written == Self.pingAck + Self.pingAck, "cut at \(cut), \(second)")
            }
        }
    }

    @Test func leavesPingAcksAndOddPingsToHTTP2() throws {
        // An ACK answers one of our own PINGs: the HTTP/2 handler must see it. A PING with a wrong length is a
        // protocol error that the HTTP/2 handler reports.
        let odd = Self.frame(type: 0x6, payload: [1, 2, 3])
        let result = try run([Self.pingAck + odd])
        #expect(result.passed == Self.pingAck + odd)
        #expect(result.written.isEmpty)
    }
}
