import Foundation
import NIOCore
import ShoalCore
import ShoalModel

/// A hijacked stream (attach, exec start) on another node, for a client of the cluster endpoint: the request goes
/// to the node's engine over the node engine channel with `Upgrade: tcp`; once the node answers `101`, its bytes
/// are the container's streams (framed with Docker's 8-byte header unless `tty`), read back into chunks here so
/// the endpoint's own hijack handler frames them for the client as it frames local ones; the client's stdin goes
/// the other way, its end as a half-close.
final class RemoteStreamSession: StreamSession {
    let tty: Bool
    let output: AsyncStream<StreamChunk>
    private let stdin: AsyncStream<StdinEvent>.Continuation
    private let pump: Task<Void, Never>

    private enum StdinEvent: Sendable {
        case bytes([UInt8])
        case close
    }

    private init(tty: Bool, output: AsyncStream<StreamChunk>, stdin: AsyncStream<StdinEvent>.Continuation,
                 pump: Task<Void, Never>) {
        self.tty = tty
        self.output = output
        self.stdin = stdin
        self.pump = pump
    }

    func writeStdin(_ bytes: [UInt8]) async { stdin.yield(.bytes(bytes)) }
    func closeStdin() async { stdin.yield(.close) }
    func detach() async { pump.cancel() }

    /// Sends `request` on `channel` (a fresh connection to the node's engine) and returns the session once the
    /// node has upgraded the connection; the node's own refusal (404, 409 …) is thrown as its message.
    static func open(_ request: EngineRequest, host: String, tty: Bool,
                     channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async throws -> RemoteStreamSession {
        let (output, sink) = AsyncStream.makeStream(of: StreamChunk.self)
        let (stdinEvents, stdin) = AsyncStream.makeStream(of: StdinEvent.self)
        let (heads, headSink) = AsyncThrowingStream.makeStream(of: Void.self)
        let bytes = requestBytes(request, host: host)
        let pump = Task {
            do {
                try await channel.executeThenClose { inbound, outbound in
                    try await outbound.write(bytes)
                    var iterator = inbound.makeAsyncIterator()
                    var pending = ByteBuffer()
                    var head: (status: Int, length: Int)?
                    while head == nil {
                        guard var chunk = try await iterator.next() else { throw ShoalError(.unavailable, "the node closed the stream") }
                        pending.writeBuffer(&chunk)
                        head = Self.parseHead(&pending)
                    }
                    guard let head, head.status == 101 else {
                        // The node's refusal: its JSON body, to the end of the connection.
                        while var chunk = try await iterator.next() { pending.writeBuffer(&chunk) }
                        throw Self.refusal(status: head?.status ?? 500, body: pending)
                    }
                    headSink.yield(())
                    headSink.finish()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await event in stdinEvents {
                                switch event {
                                case .bytes(let bytes): try await outbound.write(ByteBuffer(bytes: bytes))
                                case .close:
                                    outbound.finish()
                                    return
                                }
                            }
                        }
                        var demux = Demultiplexer(tty: tty)
                        for chunk in demux.feed(&pending) { sink.yield(chunk) }
                        while var buffer = try await iterator.next() {
                            for chunk in demux.feed(&buffer) { sink.yield(chunk) }
                        }
                        group.cancelAll()
                    }
                }
            } catch {
                headSink.finish(throwing: error)
            }
            sink.finish()
            stdin.finish()
        }
        do {
            for try await _ in heads { break }
        } catch {
            pump.cancel()
            throw error
        }
        return RemoteStreamSession(tty: tty, output: output, stdin: stdin, pump: pump)
    }

    static func requestBytes(_ request: EngineRequest, host: String) -> ByteBuffer {
        var text = "\(request.method.rawValue) /v1.41\(request.uri) HTTP/1.1\r\nHost: \(host)\r\n"
        text += "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\n"
        text += "Content-Length: \(request.body?.readableBytes ?? 0)\r\n\r\n"
        var buffer = ByteBuffer(string: text)
        if var body = request.body { buffer.writeBuffer(&body) }
        return buffer
    }

    /// The status of a complete response head at the front of `buffer` (consumed), or nil while it is partial.
    static func parseHead(_ buffer: inout ByteBuffer) -> (status: Int, length: Int)? {
        let view = buffer.readableBytesView
        guard let end = view.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        let length = end.upperBound - view.startIndex
        let text = buffer.readString(length: length) ?? ""
        let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 500
        return (status, length)
    }

    static func refusal(status: Int, body: ByteBuffer) -> ShoalError {
        let message = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["message"]
            as? String ?? "the node answered \(status)"
        let code: ShoalError.Code = switch status {
        case 404: .notFound
        case 409: .conflict
        case 400: .invalidArgument
        case 403: .permissionDenied
        case 501: .notImplemented
        default: .unavailable
        }
        return ShoalError(code, message)
    }

    /// Docker's stream framing read back: `[type, 0, 0, 0, size (big endian)]` then `size` bytes; a terminal's
    /// stream is raw.
    struct Demultiplexer {
        let tty: Bool
        private var pending = ByteBuffer()

        init(tty: Bool) { self.tty = tty }

        mutating func feed(_ buffer: inout ByteBuffer) -> [StreamChunk] {
            guard buffer.readableBytes > 0 else { return [] }
            if tty { return [StreamChunk(.stdout, buffer.readBytes(length: buffer.readableBytes) ?? [])] }
            pending.writeBuffer(&buffer)
            var chunks: [StreamChunk] = []
            while pending.readableBytes >= 8,
                  let type = pending.getInteger(at: pending.readerIndex, as: UInt8.self),
                  let size = pending.getInteger(at: pending.readerIndex + 4, endianness: .big, as: UInt32.self),
                  pending.readableBytes >= 8 + Int(size) {
                pending.moveReaderIndex(forwardBy: 8)
                let bytes = pending.readBytes(length: Int(size)) ?? []
                chunks.append(StreamChunk(StreamChunk.Stream(rawValue: type) ?? .stdout, bytes))
            }
            pending.discardReadBytes()
            return chunks
        }
    }
}
