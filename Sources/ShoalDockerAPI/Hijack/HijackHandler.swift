import Foundation
import NIOCore
import NIOHTTP1
import ShoalModel

/// Sits between the HTTP/1 codec and Hummingbird. Ordinary requests pass through untouched. A request that asks
/// to hijack its connection (`Upgrade: tcp` on attach or exec start, as the docker CLI sends them) is held here:
/// its body is collected, the `HijackRouter` decides, and on success the handler answers `101 UPGRADED`, puts a
/// `RawStreamHandler` in front of itself and removes the HTTP codec, so the rest of the connection is the
/// container's raw (or multiplexed) stream. NIO's upgrade handler cannot do this: it refuses upgrade requests
/// with a body, and `docker exec` sends one.
final class HijackHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case passing
        case collecting(HTTPRequestHead, ByteBuffer)
        case deciding
        case hijacked
        /// The body went over `bodyLimit`: refused with 413; the rest of the request is dropped until the close.
        case refused
    }

    /// The same limit the router puts on a JSON body (`Wire.decode`): an attach or exec start body is a small JSON
    /// object at most, and without a limit a client could make the daemon hold any amount of memory.
    static let bodyLimit = 16 << 20

    private var state = State.idle
    private let router: HijackRouter
    private let encoder: HTTPResponseEncoder
    private let decoder: ByteToMessageHandler<HTTPRequestDecoder>
    private let parseErrorCloser: ParseErrorCloser

    init(router: HijackRouter, encoder: HTTPResponseEncoder, decoder: ByteToMessageHandler<HTTPRequestDecoder>,
         parseErrorCloser: ParseErrorCloser) {
        self.router = router
        self.encoder = encoder
        self.decoder = decoder
        self.parseErrorCloser = parseErrorCloser
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch (state, part) {
        case (.idle, .head(let head)) where HijackRouter.wants(head):
            state = .collecting(head, context.channel.allocator.buffer(capacity: 0))
        case (.idle, .head):
            state = .passing
            context.fireChannelRead(data)
        case (.passing, .end):
            state = .idle
            context.fireChannelRead(data)
        case (.passing, _):
            context.fireChannelRead(data)
        case (.collecting(let head, var body), .body(var chunk)):
            guard body.readableBytes + chunk.readableBytes <= Self.bodyLimit else {
                state = .refused
                let error = DockerAPIError(NIOTooManyBytesError(maxBytes: Self.bodyLimit))
                respondAndClose(context: context, status: .init(statusCode: Int(error.status.code)),
                                contentType: "application/json", body: Wire.encode(["message": error.message]) + [0x0A])
                return
            }
            body.writeBuffer(&chunk)
            state = .collecting(head, body)
        case (.refused, _):
            break
        case (.collecting(let head, let body), .end):
            state = .deciding
            decide(context: context, head: head, body: body)
        case (.collecting, .head), (.idle, _), (.deciding, _), (.hijacked, _):
            // A client that keeps talking HTTP while we decide, or parts out of order: not a valid exchange.
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A hijacking request whose body the codec could not parse: it is not taken over. Hummingbird, waiting
        // for the next request, answers the error with a 400 and the connection closes after it.
        if case .collecting = state, error is HTTPParserError { state = .refused }
        context.fireErrorCaught(error)
    }

    private func decide(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer) {
        let router = self.router
        let promise = context.eventLoop.makePromise(of: HijackRouter.Decision.self)
        promise.completeWithTask { try await router.decide(head, body: body) }
        promise.futureResult.assumeIsolated().whenComplete { result in
            switch result {
            case .success(.session(let session)):
                self.hijack(context: context, session: session)
            case .success(.respond(let status, let bytes)):
                self.respondAndClose(context: context, status: status, contentType: "application/json", body: bytes)
            case .failure(let error):
                let apiError = DockerAPIError(error)
                var bytes = Wire.encode(["message": apiError.message])
                bytes.append(UInt8(ascii: "\n"))
                self.respondAndClose(context: context, status: .init(statusCode: Int(apiError.status.code)),
                                     contentType: "application/json", body: bytes)
            }
        }
    }

    private func respondAndClose(context: ChannelHandlerContext, status: HTTPResponseStatus, contentType: String,
                                 body: [UInt8]) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                      promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func hijack(context: ChannelHandlerContext, session: any StreamSession) {
        state = .hijacked
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/vnd.docker.raw-stream")
        headers.add(name: "Connection", value: "Upgrade")
        headers.add(name: "Upgrade", value: "tcp")
        let head = HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: headers)
        let headWritten = context.writeAndFlush(wrapOutboundOut(.head(head)))
        do {
            let pipeline = context.pipeline.syncOperations
            try pipeline.addHandler(RawStreamHandler(session: session, headWritten: headWritten),
                                    position: .before(self))
            pipeline.removeHandler(encoder, promise: nil)
            pipeline.removeHandler(parseErrorCloser, promise: nil)
            // Removing the decoder forwards the bytes it already read (early stdin) to the raw handler.
            pipeline.removeHandler(decoder, promise: nil)
        } catch {
            Task { await session.detach() }
            context.close(promise: nil)
        }
    }
}

/// The raw end of a hijacked connection: client bytes go to the session's stdin in order, the session's output
/// goes to the client (framed with Docker's 8-byte stream header unless the session has a terminal), and the
/// connection closes when the output ends. The session begins (an exec's process starts) only once the response
/// head has been written, so the client never reads output in the same read as the head.
final class RawStreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let session: any StreamSession
    private let stdin: AsyncStream<[UInt8]>.Continuation
    private let stdinStream: AsyncStream<[UInt8]>
    private let headWritten: EventLoopFuture<Void>

    init(session: any StreamSession, headWritten: EventLoopFuture<Void>) {
        self.session = session
        self.headWritten = headWritten
        (stdinStream, stdin) = AsyncStream.makeStream(of: [UInt8].self)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let session = self.session
        let stdinStream = self.stdinStream
        Task {
            for await bytes in stdinStream {
                await session.writeStdin(bytes)
            }
            await session.closeStdin()
        }
        // Output is written from this handler's position: the handlers behind it still speak HTTP types and
        // must never see raw bytes.
        let eventLoop = context.eventLoop
        let boundContext = NIOLoopBound(context, eventLoop: eventLoop)
        let allocator = context.channel.allocator
        let headWritten = self.headWritten
        Task {
            guard (try? await headWritten.get()) != nil else {
                await session.detach()
                eventLoop.execute { boundContext.value.close(promise: nil) }
                return
            }
            await session.begin()
            for await chunk in session.output {
                var buffer = allocator.buffer(capacity: chunk.bytes.count + 8)
                if !session.tty {
                    StreamFraming.writeHeader(stream: chunk.stream, length: chunk.bytes.count, into: &buffer)
                }
                buffer.writeBytes(chunk.bytes)
                let frame = buffer
                let written = eventLoop.flatSubmit {
                    boundContext.value.writeAndFlush(NIOAny(frame))
                }
                do {
                    try await written.get()
                } catch {
                    break
                }
            }
            eventLoop.execute { boundContext.value.close(promise: nil) }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        stdin.yield(Array(buffer.readableBytesView))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // The client is done sending (the CLI half-closes at once when it has no stdin). Stop here: the HTTP
            // handlers behind would take it as the end of the connection and close our output too.
            stdin.finish()
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stdin.finish()
        let session = self.session
        Task { await session.detach() }
        context.fireChannelInactive()
    }
}

/// Docker's stream multiplexing: `[stream, 0, 0, 0, size(4 bytes big-endian)]` before each payload.
enum StreamFraming {
    /// Stream 3 (stdcopy's Systemerr): the daemon's own error in the middle of a stream; the CLI stops there and
    /// prints it.
    static let systemError: UInt8 = 3

    static func writeHeader(stream: StreamChunk.Stream, length: Int, into buffer: inout ByteBuffer) {
        writeHeader(streamType: stream.rawValue, length: length, into: &buffer)
    }

    static func writeHeader(streamType: UInt8, length: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(streamType)
        buffer.writeBytes([0, 0, 0])
        buffer.writeInteger(UInt32(length), endianness: .big)
    }

    static func frame(_ stream: StreamChunk.Stream, _ bytes: [UInt8]) -> ByteBuffer {
        frame(streamType: stream.rawValue, bytes)
    }

    static func frame(streamType: UInt8, _ bytes: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        writeHeader(streamType: streamType, length: bytes.count, into: &buffer)
        buffer.writeBytes(bytes)
        return buffer
    }
}
