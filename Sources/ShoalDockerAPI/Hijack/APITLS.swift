import NIOCore
import NIOSSL
import NIOTLS

/// How a TCP listener does TLS: the context for each new connection (asked per connection, so a renewed
/// certificate is served from the next connection on) and, optionally, which verified clients may go on.
public struct APITLS: Sendable {
    let context: @Sendable () throws -> NIOSSLContext
    let admits: (@Sendable (_ leafDER: [UInt8]) -> Bool)?

    /// `admits` sees the leaf certificate of a client the handshake verified (chain to the trusted CA, validity)
    /// and says whether it may use the API; nil lets every such client in.
    public init(context: @escaping @Sendable () throws -> NIOSSLContext,
                admits: (@Sendable (_ leafDER: [UInt8]) -> Bool)? = nil) {
        self.context = context
        self.admits = admits
    }

    /// One context for every connection, any verified client.
    public init(_ context: NIOSSLContext) {
        self.init(context: { context })
    }
}

/// Closes a TLS connection whose client certificate `admits` refuses, as soon as the handshake completes and
/// before a byte of the request goes further (reads that arrive before the verdict are dropped with it).
final class ClientCertificateGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny

    private let admits: @Sendable ([UInt8]) -> Bool
    private var admitted = false

    init(admits: @escaping @Sendable ([UInt8]) -> Bool) {
        self.admits = admits
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            let leaf = try? context.pipeline.syncOperations.nioSSL_peerCertificate()?.toDERBytes()
            guard let leaf, admits(leaf) else {
                context.close(promise: nil)
                return
            }
            admitted = true
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard admitted else { return }
        context.fireChannelRead(data)
    }
}
