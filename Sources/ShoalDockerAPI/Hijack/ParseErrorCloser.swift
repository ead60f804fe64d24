import NIOCore
import NIOHTTP1

/// Closes a connection once the answer to a request the codec could not parse has been written. Hummingbird
/// answers an `HTTPParserError` with a 400 (a route reading a broken body answers Docker's 400 itself), but then
/// waits for the client to close: a client still sending a body, or one that never closes, held the connection
/// (and the daemon's descriptor) forever. Go's net/http, and so dockerd, closes after its 400; so does this.
/// Sits right after the request decoder, so it sees the decoder's errors first and every response part last.
final class ParseErrorCloser: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var failed = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError { failed = true }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard failed, case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        // The answer is complete: nothing more can be read from this connection.
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.cascade(to: promise)
        context.writeAndFlush(data, promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
