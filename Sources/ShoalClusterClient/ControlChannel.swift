import GRPCCore
import GRPCNIOTransportHTTP2
import ShoalCore
import ShoalClusterProto

/// One gRPC client (one HTTP/2 connection over TLS, re-established as needed) to one manager's control API.
/// It always presents a client certificate: the node's own after joining, a throwaway self-signed one while
/// joining (the manager then treats the caller as anonymous and lets it call NodeCA only).
public final class ControlChannel: Sendable {
    public typealias Transport = HTTP2ClientTransport.Posix

    /// Which server certificates to accept.
    public enum Trust: Sendable {
        /// Any: only to fetch the root CA, whose digest the caller checks against the join token before use.
        case anyServer
        /// Certificates issued by this root CA (PEM). Host names are not checked: the cluster CA is the identity.
        case rootCA(String)
    }

    /// The certificate and key this side presents (PEM).
    public struct Identity: Sendable {
        public var certificatePEM: String
        public var keyPEM: String

        public init(certificatePEM: String, keyPEM: String) {
            self.certificatePEM = certificatePEM
            self.keyPEM = keyPEM
        }
    }

    public let address: String
    let grpc: GRPCClient<Transport>
    private let runner: Task<Void, Never>

    /// `address` is `ipv4:port`.
    public init(address: String, trust: Trust, identity: Identity) throws {
        let parts = address.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else {
            throw ShoalError.invalidArgument("invalid manager address \(address): expected ip:port")
        }
        self.address = address
        let security: Transport.TransportSecurity = .tls { config in
            config.certificateChain = [.bytes(Array(identity.certificatePEM.utf8), format: .pem)]
            config.privateKey = .bytes(Array(identity.keyPEM.utf8), format: .pem)
            switch trust {
            case .anyServer:
                config.serverCertificateVerification = .noVerification
            case .rootCA(let pem):
                config.trustRoots = .certificates([.bytes(Array(pem.utf8), format: .pem)])
                config.serverCertificateVerification = .noHostnameVerification
            }
        }
        let transport = try Transport(
            target: .ipv4(address: String(parts[0]), port: port), transportSecurity: security,
            config: .defaults { config in
                config.backoff = .init(initial: .milliseconds(100), max: .seconds(1), multiplier: 1.6, jitter: 0.2)
                // A manager host that vanished without closing the connection is noticed within ~15 s.
                config.connection.keepalive = .init(time: .seconds(10), timeout: .seconds(5), allowWithoutCalls: false)
            })
        let grpc = GRPCClient(transport: transport)
        self.grpc = grpc
        runner = Task { try? await grpc.runConnections() }
    }

    var nodeCA: Shoal_Cluster_V1_NodeCA.Client<Transport> { .init(wrapping: grpc) }
    var dispatcher: Shoal_Cluster_V1_Dispatcher.Client<Transport> { .init(wrapping: grpc) }
    public var networks: Shoal_Cluster_V1_Networks.Client<Transport> { .init(wrapping: grpc) }
    public var services: Shoal_Cluster_V1_Services.Client<Transport> { .init(wrapping: grpc) }
    public var dataObjects: Shoal_Cluster_V1_DataObjects.Client<Transport> { .init(wrapping: grpc) }
    public var logs: Shoal_Cluster_V1_Logs.Client<Transport> { .init(wrapping: grpc) }

    /// Fail fast when the manager cannot be reached (the caller tries the next one) instead of waiting.
    public static func options(timeout: Duration? = .seconds(10)) -> CallOptions {
        var options = CallOptions.defaults
        options.waitForReady = false
        options.timeout = timeout
        return options
    }

    /// Calls `body` on the managers in order until one answers: a manager that cannot be reached (unavailable)
    /// is skipped; any other failure is the answer. Errors are worded as Docker shows a manager's
    /// (`rpc error: code = … desc = …`), or kept as the manager worded them with `keepMessages`.
    public static func firstAnswering<Response: Sendable>(
        _ managers: [String], rootCAPEM: String, identity: Identity, keepMessages: Bool = false,
        _ body: (ControlChannel) async throws -> Response
    ) async throws -> Response {
        var lastError: ShoalError?
        for address in managers {
            let channel = try ControlChannel(address: address, trust: .rootCA(rootCAPEM), identity: identity)
            do {
                let response = try await body(channel)
                await channel.shutdown()
                return response
            } catch {
                await channel.shutdown()
                let failure = keepMessages ? RemoteError.plain(error, address: address)
                    : RemoteError.shoal(error, address: address)
                guard failure.code == .unavailable else { throw failure }
                lastError = failure
            }
        }
        throw lastError ?? ShoalError.invalidArgument("no manager address")
    }

    /// Whether the manager at `address` answers its control API (NodeCA.GetRootCA over mutual TLS) within
    /// `timeout`: a manager's daemon is up and serving.
    public static func answers(address: String, rootCAPEM: String, identity: Identity,
                               timeout: Duration = .seconds(1)) async -> Bool {
        guard let channel = try? ControlChannel(address: address, trust: .rootCA(rootCAPEM), identity: identity) else {
            return false
        }
        let answered = (try? await channel.nodeCA.getRootCA(Shoal_Cluster_V1_GetRootCARequest(),
                                                           options: options(timeout: timeout))) != nil
        await channel.shutdown()
        return answered
    }

    public func shutdown() async {
        grpc.beginGracefulShutdown()
        await runner.value
    }
}
