import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ShoalCA
import ShoalCore

/// The manager's control API listener (`--listen-addr`, default 0.0.0.0:2377): gRPC over HTTP/2 with TLS only
/// (a plaintext client gets no answer). The server certificate is the manager's node certificate; client
/// certificates are always requested and judged by `PeerIdentity.verify`.
final class ControlServer: Sendable {
    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let runner: Task<Void, Never>

    private init(server: GRPCServer<HTTP2ServerTransport.Posix>, runner: Task<Void, Never>) {
        self.server = server
        self.runner = runner
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
        let server = GRPCServer(transport: transport, services: services)
        let runner = Task {
            do {
                try await server.serve()
            } catch where Task.isCancelled {
                // stop(): cancelled on purpose.
                logger.info("swarm: control API on \(host):\(port) stopped")
            } catch {
                logger.error("swarm: control API on \(host):\(port) stopped: \(error)")
            }
        }
        guard (try? await transport.listeningAddress) != nil else {
            server.beginGracefulShutdown()
            await runner.value
            throw ShoalError(.unavailable, "failed to listen on \(host):\(port): address already in use or not available")
        }
        logger.info("swarm: control API listening on \(host):\(port)")
        return ControlServer(server: server, runner: runner)
    }

    func stop() async {
        server.beginGracefulShutdown()
        // Sessions are endless streams: don't wait for them to finish on their own.
        runner.cancel()
        await runner.value
    }
}
