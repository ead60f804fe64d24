import GRPCCore
import GRPCNIOTransportHTTP2
import ShoalEtcdProto

/// One gRPC client (one HTTP/2 connection, re-established as needed) to one etcd member, with the PING cure
/// installed on every connection it makes.
final class EtcdConnection: Sendable {
    typealias Transport = HTTP2ClientTransport.Posix

    let endpoint: EtcdEndpoint
    let grpc: GRPCClient<Transport>
    private let runner: Task<Void, Never>

    init(endpoint: EtcdEndpoint, configuration: EtcdClientConfiguration) throws {
        self.endpoint = endpoint
        let target: any ResolvableTarget =
            if endpoint.host.contains(":") {
                .ipv6(address: endpoint.host, port: endpoint.port)
            } else if endpoint.host.split(separator: ".").count == 4, endpoint.host.allSatisfy({ $0.isNumber || $0 == "." }) {
                .ipv4(address: endpoint.host, port: endpoint.port)
            } else {
                .dns(host: endpoint.host, port: endpoint.port)
            }
        let security: Transport.TransportSecurity
        if let tls = configuration.tls {
            security = .tls { config in
                config.trustRoots = .certificates([.file(path: tls.trustedCAFile, format: .pem)])
                config.serverCertificateVerification = .fullVerification
                if let certificate = tls.certificateFile, let key = tls.keyFile {
                    config.certificateChain = [.file(path: certificate, format: .pem)]
                    config.privateKey = .file(path: key, format: .pem)
                }
            }
        } else {
            security = .plaintext
        }
        let answersPings = configuration.answersServerPings
        let transport = try Transport(
            target: target, transportSecurity: security,
            config: .defaults { config in
                if answersPings {
                    config.channelDebuggingCallbacks.onCreateTCPConnection = { channel in
                        EtcdPingResponder.install(on: channel)
                    }
                }
                // A member that restarts (supervisor, failover test) should be found again within a second or
                // two, not after the default exponential backoff of up to two minutes.
                config.backoff = .init(initial: .milliseconds(100), max: .seconds(2), multiplier: 1.6, jitter: 0.2)
                // Notice a member that vanished without closing the connection (host gone, partition) while a
                // watch or keep-alive is open. etcd's --grpc-keepalive-min-time is 5 s and it refuses pings
                // without calls, so: every 30 s, only while calls are open.
                config.connection.keepalive = .init(time: .seconds(30), timeout: .seconds(10), allowWithoutCalls: false)
            })
        let grpc = GRPCClient(transport: transport)
        self.grpc = grpc
        runner = Task { try? await grpc.runConnections() }
    }

    var kv: Etcdserverpb_KV.Client<Transport> { .init(wrapping: grpc) }
    var watch: Etcdserverpb_Watch.Client<Transport> { .init(wrapping: grpc) }
    var lease: Etcdserverpb_Lease.Client<Transport> { .init(wrapping: grpc) }
    var cluster: Etcdserverpb_Cluster.Client<Transport> { .init(wrapping: grpc) }
    var maintenance: Etcdserverpb_Maintenance.Client<Transport> { .init(wrapping: grpc) }

    /// Closes the connection once open calls finish, or after two seconds whatever is still open.
    func shutdown() async {
        grpc.beginGracefulShutdown()
        let runner = runner
        let deadline = Task {
            try? await Task.sleep(for: .seconds(2))
            if !Task.isCancelled { runner.cancel() }
        }
        await runner.value
        deadline.cancel()
    }
}
