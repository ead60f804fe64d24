import NIOCore
import NIOPosix

/// One query/reply exchange with an upstream server over UDP or TCP, on a fresh socket each time (so every query
/// has its own random source port, RFC 5452 §9.2). The reply is the first message that `accept` returns a value
/// for: anything else arriving on the socket (wrong id, wrong question, garbage) is ignored, not taken as the answer.
enum DNSUpstreamExchange {
    enum Transport: Sendable { case udp, tcp }

    struct TimedOut: Error {}
    struct Closed: Error {}

    static func exchange(
        _ query: [UInt8], with upstream: SocketAddress, over transport: Transport, timeout: TimeAmount,
        group: any EventLoopGroup, accept: @escaping @Sendable ([UInt8]) -> DNSMessage?
    ) async throws -> DNSMessage {
        let eventLoop = group.next()
        let reply = eventLoop.makePromise(of: DNSMessage.self)
        let timer = eventLoop.scheduleTask(in: timeout) { reply.fail(TimedOut()) }
        let channel: any Channel
        do {
            switch transport {
            case .udp:
                channel = try await DatagramBootstrap(group: eventLoop)
                    // An EDNS0 reply can be up to 64 KiB; NIO's default buffer (2048) would cut it.
                    .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_535))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                UpstreamReplyHandler<AddressedEnvelope<ByteBuffer>>(reply: reply, accept: accept) {
                                    $0.data
                                }
                            )
                        }
                    }
                    .connect(to: upstream).get()
                channel.writeAndFlush(ByteBuffer(bytes: query), promise: nil)
            case .tcp:
                channel = try await ClientBootstrap(group: eventLoop)
                    .connectTimeout(timeout)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                            try channel.pipeline.syncOperations.addHandler(
                                UpstreamReplyHandler<ByteBuffer>(reply: reply, accept: accept) { $0 }
                            )
                        }
                    }
                    .connect(to: upstream).get()
                channel.writeAndFlush(ByteBuffer.dnsTCPFrame(query), promise: nil)
            }
        } catch {
            timer.cancel()
            reply.fail(error)
            throw error
        }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        return try await withTaskCancellationHandler {
            try await reply.futureResult.get()
        } onCancel: {
            reply.fail(CancellationError())
        }
    }
}

/// Completes the exchange's promise with the first accepted reply, or fails it when the channel errs or closes
/// (a connected UDP socket reports the ICMP "port unreachable" of a dead upstream as ECONNREFUSED here, which lets
/// the resolver fail over at once instead of waiting for the timeout).
private final class UpstreamReplyHandler<Inbound>: ChannelInboundHandler {
    typealias InboundIn = Inbound

    private let reply: EventLoopPromise<DNSMessage>
    private let accept: @Sendable ([UInt8]) -> DNSMessage?
    private let payload: (Inbound) -> ByteBuffer

    init(
        reply: EventLoopPromise<DNSMessage>, accept: @escaping @Sendable ([UInt8]) -> DNSMessage?,
        payload: @escaping (Inbound) -> ByteBuffer
    ) {
        self.reply = reply
        self.accept = accept
        self.payload = payload
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = payload(unwrapInboundIn(data))
        if let message = accept(Array(buffer.readableBytesView)) { reply.succeed(message) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        reply.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        reply.fail(DNSUpstreamExchange.Closed())
        context.fireChannelInactive()
    }
}
