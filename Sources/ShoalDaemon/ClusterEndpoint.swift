import Foundation
import Hummingbird
import Logging
import NIOSSL
import ServiceLifecycle
import ShoalCA
import ShoalCore
import ShoalDockerAPI
import ShoalManager
import Synchronization

/// The cluster endpoint (`DOCKER_HOST=tcp://MANAGER:2376` of a credentials bundle): while this node is a manager
/// it listens on its advertise address with mutual TLS, serving with this node's own certificate (which names that
/// address) and admitting only user certificates of this cluster (`UserCertificate`): a node's certificate, one
/// from another CA, and a client without one never get past the handshake. It follows the node's role: it opens
/// when the node becomes a manager and closes when it stops being one or leaves the swarm. A revoked bundle
/// (`shoal credentials --revoke`) is refused from the next round of the loop on (half a second).
struct ClusterEndpoint: Service {
    static let defaultPort = 2376
    /// How often the node's role is looked at (a manager's endpoint opens at most this long after `swarm init`).
    static let followInterval: Duration = .milliseconds(500)

    let swarm: SwarmMembership
    let port: Int
    let serve: @Sendable (_ address: BindAddress, _ tls: APITLS) -> any Service
    let logger: Logger

    static func url(host: String, port: Int) -> String {
        host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
    }

    func run() async throws {
        guard port > 0 else { return }
        var current: (identity: ClusterEndpointIdentity, group: ServiceGroup, task: Task<Void, Never>)?
        func close() async {
            guard let open = current else { return }
            current = nil
            await open.group.triggerGracefulShutdown()
            await open.task.value
            logger.info("cluster endpoint on \(Self.url(host: open.identity.host, port: port)) closed")
        }
        let revoked = RevokedSerials()
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            // Read before the endpoint opens, then every round: a revocation holds on every manager within one.
            if let serials = await swarm.revokedUserSerials() { revoked.serials.withLock { $0 = serials } }
            let wanted = await swarm.clusterEndpointIdentity()
            if wanted != current?.identity {
                await close()
                if let wanted {
                    let group = ServiceGroup(configuration: .init(
                        services: [serve(.hostname(wanted.host, port: port), tls(wanted, revoked: revoked))], logger: logger))
                    let url = Self.url(host: wanted.host, port: port)
                    let logger = logger
                    current = (wanted, group, Task {
                        do {
                            try await group.run()
                        } catch {
                            logger.warning("cluster endpoint on \(url): \(error)")
                        }
                    })
                    logger.info("cluster endpoint on \(url) (mutual TLS, credentials bundles only)")
                }
            }
            // The pause ends early when the daemon stops.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.followInterval) }
        }
        await close()
    }

    /// This node's certificate, read again when the file changes (renewal, a role change), and the admission of
    /// user certificates of the cluster.
    private func tls(_ identity: ClusterEndpointIdentity, revoked: RevokedSerials) -> APITLS {
        let cache = Mutex<(pem: String, context: NIOSSLContext)?>(nil)
        return APITLS(
            context: {
                let pem = try String(contentsOfFile: identity.certificateFile, encoding: .utf8)
                if let cached = cache.withLock({ $0 }), cached.pem == pem { return cached.context }
                var configuration = TLSConfiguration.makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)).map { .certificate($0) },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: identity.keyFile, format: .pem)))
                configuration.minimumTLSVersion = .tlsv12
                configuration.certificateVerification = .noHostnameVerification
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(identity.caCertificateFile))
                let context = try NIOSSLContext(configuration: configuration)
                cache.withLock { $0 = (pem, context) }
                return context
            },
            admits: { leaf in
                UserCertificate.admits(der: leaf, clusterID: identity.clusterID, revoked: revoked.serials.withLock { $0 })
            })
    }
}

/// The revoked user certificates as the endpoint last read them, shared with its connections' admission.
final class RevokedSerials: Sendable {
    let serials = Mutex<Set<String>>([])
}
