import NIOCore
import NIOHTTP2

/// Answers the server's HTTP/2 PINGs below `NIOHTTP2Handler`, on the raw (decrypted) byte stream.
///
/// Why: etcd's Go gRPC server sends a PING for BDP estimation on nearly every request. swift-nio-http2 counts
/// received control frames and, past 200 in 30 s, our own client sends GOAWAY(ENHANCE_YOUR_CALM): every call on
/// the connection (watches and lease keep-alives included) then fails with "Stream unexpectedly closed".
/// grpc-swift-nio-transport exposes no setting for that limit (FIELD-NOTES, "etcd over grpc-swift-2"). This
/// handler sits just before `NIOHTTP2Handler`, acknowledges every non-ACK PING itself (the same 8-byte payload
/// with the ACK flag, as RFC 9113 §6.7 asks) and passes every other frame on untouched, so the HTTP/2 handler
/// never sees, or counts, the server's PINGs. Our own PINGs' ACKs still reach it.
///
/// It only splits the stream at frame boundaries: a frame that is not a PING is forwarded as its bytes arrive.
/// The ACK is written from `channelRead`, on the event loop, so it never lands inside a frame the HTTP/2 handler
/// is writing (that handler writes whole frames synchronously).
final class EtcdPingResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let frameHeaderLength = 9
    private static let pingType: UInt8 = 0x6
    private static let ackFlag: UInt8 = 0x1
    private static let pingPayloadLength = 8

    /// Bytes of the current (non-PING) frame still to pass through untouched.
    private var passthroughRemaining = 0
    /// An incomplete frame header, or an incomplete PING frame, waiting for more bytes.
    private var pending: ByteBuffer?
    /// How many PINGs were answered here (for tests and logs).
    private(set) var pingsAnswered = 0

    init() {}

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        if var pending = self.pending {
            self.pending = nil
            pending.writeBuffer(&input)
            input = pending
        }
        var forward: ByteBuffer?
        while input.readableBytes > 0 {
            if passthroughRemaining > 0 {
                let count = min(passthroughRemaining, input.readableBytes)
                var slice = input.readSlice(length: count)!
                passthroughRemaining -= count
                if forward == nil { forward = slice } else { forward!.writeBuffer(&slice) }
                continue
            }
            guard input.readableBytes >= Self.frameHeaderLength,
                let length24 = input.getInteger(at: input.readerIndex, as: UInt16.self),
                let lengthLow = input.getInteger(at: input.readerIndex + 2, as: UInt8.self),
                let type = input.getInteger(at: input.readerIndex + 3, as: UInt8.self),
                let flags = input.getInteger(at: input.readerIndex + 4, as: UInt8.self)
            else {
                pending = input
                break
            }
            let length = Int(length24) << 8 | Int(lengthLow)
            let isPingRequest = type == Self.pingType && flags & Self.ackFlag == 0 && length == Self.pingPayloadLength
            guard isPingRequest else {
                passthroughRemaining = Self.frameHeaderLength + length
                continue
            }
            guard input.readableBytes >= Self.frameHeaderLength + length else {
                pending = input
                break
            }
            // Flush what came before the PING first, so frames keep their order for the HTTP/2 handler.
            if let bytes = forward {
                context.fireChannelRead(wrapInboundOut(bytes))
                forward = nil
            }
            input.moveReaderIndex(forwardBy: Self.frameHeaderLength)
            let payload = input.readSlice(length: Self.pingPayloadLength)!
            answer(payload, context: context)
        }
        if let bytes = forward {
            context.fireChannelRead(wrapInboundOut(bytes))
        }
    }

    private func answer(_ payload: ByteBuffer, context: ChannelHandlerContext) {
        var ack = context.channel.allocator.buffer(capacity: Self.frameHeaderLength + Self.pingPayloadLength)
        ack.writeInteger(UInt16(0))
        ack.writeInteger(UInt8(Self.pingPayloadLength))
        ack.writeInteger(Self.pingType)
        ack.writeInteger(Self.ackFlag)
        ack.writeInteger(UInt32(0))  // stream 0: PING is a connection-level frame
        ack.writeImmutableBuffer(payload)
        pingsAnswered += 1
        context.writeAndFlush(wrapOutboundOut(ack), promise: nil)
    }
}

extension EtcdPingResponder {
    /// Installs the responder just before the `NIOHTTP2Handler` of a connection the gRPC transport has set up
    /// (called through `channelDebuggingCallbacks.onCreateTCPConnection`, after the pipeline is configured).
    static func install(on channel: any Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let operations = channel.pipeline.syncOperations
            let http2 = try operations.handler(type: NIOHTTP2Handler.self)
            try operations.addHandler(EtcdPingResponder(), position: .before(http2))
        }
    }
}
