import Logging
import NIOCore
import Synchronization

/// UDP: one datagram is one query. Decisions that need no resolver, and answers from local records, are given on
/// the event loop; the rest (forwarding) run in a task each and write their reply back when done.
final class DNSUDPHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let shared: DNSServerShared

    init(shared: DNSServerShared) { self.shared = shared }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let bytes = Array(envelope.data.readableBytesView)
        let client = envelope.remoteAddress
        switch DNSQueryProcessor.classify(bytes) {
        case .drop:
            return
        case .reply(let reply):
            let out = DNSQueryProcessor.encode(reply, query: nil, maxBytes: 512)
            context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: client, data: ByteBuffer(bytes: out))), promise: nil)
        case .resolve(let query):
            let shared = self.shared
            if let out = shared.processor.respondNow(to: query, maxBytes: query.maxUDPResponseSize) {
                context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: client, data: ByteBuffer(bytes: out))), promise: nil)
                return
            }
            guard shared.inFlightUDP.add(1, ordering: .relaxed).newValue <= shared.limits.maxInFlightUDP else {
                shared.inFlightUDP.subtract(1, ordering: .relaxed)
                return
            }
            let channel = context.channel
            Task {
                let out = await shared.processor.respond(to: query, maxBytes: query.maxUDPResponseSize)
                shared.inFlightUDP.subtract(1, ordering: .relaxed)
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: client, data: ByteBuffer(bytes: out)), promise: nil)
            }
        }
    }

    /// Send errors (a client that vanished, a full socket buffer) concern one packet, never the listener.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        shared.logger.trace("UDP error", metadata: ["error": "\(error)"])
    }
}

/// TCP: length-framed queries, possibly pipelined; replies go out in completion order (RFC 7766 §6.2.1.1). A frame
/// too short to hold a header closes the connection.
final class DNSTCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let shared: DNSServerShared
    private let inFlight = InFlightCounter()
    private var counted = false

    init(shared: DNSServerShared) { self.shared = shared }

    func channelActive(context: ChannelHandlerContext) {
        if shared.tcpConnections.add(1, ordering: .relaxed).newValue > shared.limits.maxTCPConnections {
            shared.tcpConnections.subtract(1, ordering: .relaxed)
            context.close(promise: nil)
            return
        }
        counted = true
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if counted {
            counted = false
            shared.tcpConnections.subtract(1, ordering: .relaxed)
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        switch DNSQueryProcessor.classify(bytes) {
        case .drop:
            context.close(promise: nil)
        case .reply(let reply):
            let out = DNSQueryProcessor.encode(reply, query: nil, maxBytes: 0xFFFF)
            context.writeAndFlush(wrapOutboundOut(.dnsTCPFrame(out)), promise: nil)
        case .resolve(let query):
            if let out = shared.processor.respondNow(to: query, maxBytes: 0xFFFF) {
                context.writeAndFlush(wrapOutboundOut(.dnsTCPFrame(out)), promise: nil)
                return
            }
            guard inFlight.value.add(1, ordering: .relaxed).newValue <= shared.limits.maxInFlightPerTCPConnection else {
                inFlight.value.subtract(1, ordering: .relaxed)
                context.close(promise: nil)
                return
            }
            let channel = context.channel
            let shared = self.shared
            let inFlight = self.inFlight
            Task {
                let out = await shared.processor.respond(to: query, maxBytes: 0xFFFF)
                inFlight.value.subtract(1, ordering: .relaxed)
                channel.writeAndFlush(ByteBuffer.dnsTCPFrame(out), promise: nil)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        shared.logger.trace("TCP error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}

final class InFlightCounter: Sendable {
    let value = Atomic<Int>(0)
}
