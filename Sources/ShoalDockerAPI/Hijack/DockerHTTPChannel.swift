import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOSSL

/// Hummingbird's HTTP/1 child channel with one addition: the `HijackHandler` between the codec and the
/// router, so attach and exec can take over their connection. With `tls` the connection is TLS first; a hijacked
/// stream stays inside it.
struct DockerHTTPChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let hijackRouter: HijackRouter
    let tls: APITLS?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            if let tls {
                try pipeline.addHandler(NIOSSLServerHandler(context: try tls.context()))
                if let admits = tls.admits { try pipeline.addHandler(ClientCertificateGate(admits: admits)) }
            }
            let encoder = HTTPResponseEncoder(configuration: .init())
            let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
            try pipeline.addHandler(encoder)
            let parseErrorCloser = ParseErrorCloser()
            try pipeline.addHandler(decoder)
            try pipeline.addHandler(parseErrorCloser)
            try pipeline.addHandler(HijackHandler(router: hijackRouter, encoder: encoder, decoder: decoder,
                                                  parseErrorCloser: parseErrorCloser))
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel,
                configuration: .init(isOutboundHalfClosureEnabled: true)
            )
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// The Docker API's server: HTTP/1 with connection hijacking for attach and exec.
    static func docker(hijackRouter: HijackRouter, tls: APITLS?) -> HTTPServerBuilder {
        .init { responder in DockerHTTPChannel(responder: responder, hijackRouter: hijackRouter, tls: tls) }
    }
}
