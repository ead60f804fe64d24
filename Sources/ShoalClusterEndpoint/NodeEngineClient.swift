import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ShoalCore
import Synchronization

/// The managers' side of the node engine channel: HTTPS to `ADDRESS:PORT` of a node with this manager's own node
/// certificate as the client's, trusting the cluster's CA and checking the node's certificate names the address.
/// The certificate files are read again when they change (renewal), with a new client for the new identity.
public final class NodeEngineClient: Sendable {
    public struct Files: Sendable, Equatable {
        public var caCertificate: String
        public var certificate: String
        public var key: String

        public init(caCertificate: String, certificate: String, key: String) {
            self.caCertificate = caCertificate
            self.certificate = certificate
            self.key = key
        }
    }

    private let files: Files
    private let port: Int
    /// The HTTP client for the certificate now (nil until the first call); `closed` once shut down, after which
    /// no client is made (it would never be shut down).
    private let current = Mutex<(open: (pem: String, client: HTTPClient)?, closed: Bool)>((nil, false))
    private let raw = Mutex<(pem: String, context: NIOSSLContext)?>(nil)

    public init(files: Files, port: Int) {
        self.files = files
        self.port = port
    }

    public func send(_ request: EngineRequest, to address: String) async throws -> EngineResponse {
        let host = address.contains(":") ? "[\(address)]" : address
        var outgoing = HTTPClientRequest(url: "https://\(host):\(port)/v1.41\(request.uri)")
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers where Self.forwarded.contains(field.name) {
            outgoing.headers.add(name: field.name.rawName, value: field.value)
        }
        if let body = request.body { outgoing.body = .bytes(body) }
        if let streamed = request.streamedBody { outgoing.body = .stream(streamed, length: .unknown) }
        let response: HTTPClientResponse
        do {
            // Streams (logs -f, events, wait) last as long as the caller keeps reading.
            response = try await client().execute(outgoing, deadline: .distantFuture)
        } catch {
            throw ShoalError(.unavailable, "the engine of \(address) cannot be reached: \(error)")
        }
        var headers = HTTPFields()
        for (name, value) in response.headers {
            guard let field = HTTPField.Name(name), !Self.hopByHop.contains(field) else { continue }
            headers.append(HTTPField(name: field, value: value))
        }
        let body = response.body
        let stream = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
            let task = Task {
                do {
                    for try await chunk in body { continuation.yield(chunk) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
        return EngineResponse(status: HTTPResponse.Status(code: Int(response.status.code)), headers: headers, body: stream)
    }

    /// A raw TLS connection to the node's engine (hijacked streams), the node's certificate checked against its
    /// address.
    public func connect(to address: String) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        let pem = try String(contentsOfFile: files.certificate, encoding: .utf8)
        let context: NIOSSLContext
        if let cached = raw.withLock({ $0 }), cached.pem == pem {
            context = cached.context
        } else {
            context = try NIOSSLContext(configuration: try tlsConfiguration(pem))
            raw.withLock { $0 = (pem, context) }
        }
        do {
            return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(5))
                .connect(host: address, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: context, serverHostname: nil))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                    }
                }
        } catch {
            throw ShoalError(.unavailable, "the engine of \(address) cannot be reached: \(error)")
        }
    }

    private func tlsConfiguration(_ pem: String) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: files.key, format: .pem))
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(files.caCertificate))
        return tls
    }

    /// Shuts its HTTP client down (the daemon stopping). AsyncHTTPClient traps when a client that was never shut
    /// down is released, so the owner calls this before letting go.
    public func shutdown() async {
        let open = current.withLock { state -> HTTPClient? in
            defer { state = (nil, true) }
            return state.open?.client
        }
        try? await open?.shutdown()
    }

    /// Connections kept open to one node's engine at most (each long call holds one).
    static let connectionsPerNode = 1024

    /// The request headers an engine needs (the body's type, registry credentials); the rest are the client's
    /// connection to the endpoint, not the endpoint's to the node.
    static let forwarded: Set<HTTPField.Name> = [.contentType, HTTPField.Name("X-Registry-Auth")!]
    static let hopByHop: Set<HTTPField.Name> = [.connection, .transferEncoding, .contentLength,
                                                HTTPField.Name("Keep-Alive")!, .upgrade]

    private func client() throws -> HTTPClient {
        let pem = try String(contentsOfFile: files.certificate, encoding: .utf8)
        if let open = current.withLock({ $0.open }), open.pem == pem { return open.client }
        let tls = try tlsConfiguration(pem)
        // Made under the lock: calls that see the renewed certificate at once share one new client.
        let made = current.withLock { state -> (HTTPClient, HTTPClient?)? in
            guard !state.closed else { return nil }
            if let open = state.open, open.pem == pem { return (open.client, nil) }
            var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
            configuration.timeout.connect = .seconds(5)
            // A call that waits (`wait`, `logs -f`, `events`, `stats`) holds its HTTP/1 connection as long as it
            // lasts: the pool's default of 8 per node would leave the ninth client waiting for the first to end.
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = Self.connectionsPerNode
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            defer { state.open = (pem, client) }
            return (client, state.open?.client)
        }
        guard let (client, replaced) = made else { throw ShoalError(.unavailable, "the daemon is stopping") }
        // Calls under way on the old identity finish first.
        if let replaced {
            Task {
                try? await Task.sleep(for: .seconds(60))
                try? await replaced.shutdown()
            }
        }
        return client
    }
}
