import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ShoalCA
import ShoalCore
import Synchronization

/// The manager's control API listener (`--listen-addr`, default 0.0.0.0:2377): gRPC over HTTP/2 with TLS only
/// (a plaintext client gets no answer). The server certificate is the manager's node certificate; client
/// certificates are always requested and judged by `PeerIdentity.verify`.
///
/// Stopping it ends its RPCs first and then lets the server shut down gracefully. Cancelling the serving task
/// instead (as it did) can drop a connection the listener accepted but the server has not taken up yet, and NIO
/// traps on that ("Deinited NIOAsyncWriter without calling finish()"): a manager crashed so during a CI run, when
/// a renewed certificate restarted its listener while its nodes were reconnecting.
final class ControlServer: Sendable {
    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let runner: Task<Void, Never>
    private let closing: ServerClosing
    private let logger: Logger
    private let address: String

    /// How long `stop` waits for the graceful shutdown before it cancels the serving task anyway.
    static let shutdownGrace: Duration = .seconds(5)
    /// What the log says when that happens (tests look for it).
    static let slowShutdown = "control API did not shut down in time"

    private init(server: GRPCServer<HTTP2ServerTransport.Posix>, runner: Task<Void, Never>, closing: ServerClosing,
                 logger: Logger, address: String) {
        self.server = server
        self.runner = runner
        self.closing = closing
        self.logger = logger
        self.address = address
    }

    /// Binds and starts serving; throws when the address cannot be bound (port in use, no such address).
    static func start(host: String, port: Int, tls: TLSFiles, clusterID: String,
                      services: [any RegistrableRPCService], logger: Logger) async throws -> ControlServer {
        let trust = try TrustBundle(pem: tls.caCertificatePEM)
        let security = HTTP2ServerTransport.Posix.TransportSecurity.tls(
            .defaults(certificateChain: [.bytes(Array(tls.certificatePEM.utf8), format: .pem)],
                      privateKey: .bytes(Array(tls.keyPEM.utf8), format: .pem)) { config in
                config.clientCertificateVerification = .noHostnameVerification
                config.trustRoots = .certificates([.bytes(Array(tls.caCertificatePEM.utf8), format: .pem)])
                config.customVerificationCallback = { certificates, promise in
                    promise.succeed(PeerIdentity.verify(certificates, trust: trust, clusterID: clusterID))
                }
            })
        let transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: host, port: port), transportSecurity: security,
            config: .defaults { config in
                // Agents heartbeat every few seconds on one stream; allow their keepalive pings.
                config.connection.keepalive.clientBehavior.minPingIntervalWithoutCalls = .seconds(5)
            })
        let closing = ServerClosing()
        let server = GRPCServer(transport: transport, services: services, interceptors: [closing])
        let runner = Task {
            do {
                try await server.serve()
            } catch where !Task.isCancelled {
                logger.error("swarm: control API on \(host):\(port) stopped: \(error)")
                return
            } catch {
                // stop() cancelled it after its grace.
            }
            logger.info("swarm: control API on \(host):\(port) stopped")
        }
        guard (try? await transport.listeningAddress) != nil else {
            server.beginGracefulShutdown()
            await runner.value
            throw ShoalError(.unavailable, "failed to listen on \(host):\(port): address already in use or not available")
        }
        logger.info("swarm: control API listening on \(host):\(port)")
        return ControlServer(server: server, runner: runner, closing: closing, logger: logger, address: "\(host):\(port)")
    }

    /// Ends every RPC (node sessions and log streams are endless: their nodes reconnect), then shuts down
    /// gracefully; cancels the serving task only if that takes longer than `shutdownGrace`.
    func stop() async {
        closing.close()
        server.beginGracefulShutdown()
        let (runner, logger, address) = (self.runner, self.logger, self.address)
        let deadline = Task {
            try await Task.sleep(for: Self.shutdownGrace)
            logger.warning("swarm: \(Self.slowShutdown) on \(address): cancelling it")
            runner.cancel()
        }
        await runner.value
        deadline.cancel()
    }
}

/// Ends the RPCs of a server that is closing: each RPC's handler and response run in a scope that `close` cancels
/// (a gRPC interceptor on every RPC), so a graceful shutdown need not wait for streams that never end on their own.
final class ServerClosing: ServerInterceptor, Sendable {
    private struct State {
        var closed = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    func close() {
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once `close` was called, or when the calling task is cancelled.
    func closed() async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state in
                    if state.closed || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// `body`'s result; `body` is cancelled when the server closes (then it throws, or returns what it has).
    func scoped<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                await self.closed()
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let value = result { return value }
                group.cancelAll()
            }
            throw CancellationError()
        }
    }

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>, context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        // The group `scoped` runs it in ends before `intercept` returns.
        var response = try await withoutActuallyEscaping(next) { next in
            try await scoped { try await next(request, context) }
        }
        if case .success(var contents) = response.accepted {
            let producer = contents.producer
            contents.producer = { writer in try await self.scoped { try await producer(writer) } }
            response.accepted = .success(contents)
        }
        return response
    }
}
