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

/// A TCP listener of the swarm that follows this node's membership: while `identity` gives an address it listens
/// there with mutual TLS, serving with this node's own certificate (which names that address, reloaded when it is
/// renewed) and trusting the cluster's CA; `admits` then decides, from the verified client certificate, who goes
/// further. It opens when the node gets its role (init, join, promotion) and closes when it loses it.
///
/// Two of them run: the cluster endpoint (`ClusterEndpoint`, managers, users' bundles) and the node engine
/// channel (`NodeEngineChannel`, every node, the managers' own certificates).
struct SwarmTLSListener: Service {
    /// How often the node's membership is looked at (a listener opens at most this long after `swarm init`).
    static let followInterval: Duration = .milliseconds(500)

    let name: String
    let port: Int
    let identity: @Sendable () async -> SwarmListenerIdentity?
    /// Read every round before `admits` is asked: what the admission needs from the store (revoked serials).
    let refresh: @Sendable () async -> Set<String>?
    let admits: @Sendable (_ identity: SwarmListenerIdentity, _ leafDER: [UInt8], _ refreshed: Set<String>) -> Bool
    let serve: @Sendable (_ address: BindAddress, _ tls: APITLS) -> any Service
    let logger: Logger

    static func url(host: String, port: Int) -> String {
        host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
    }

    func run() async throws {
        guard port > 0 else { return }
        var current: (identity: SwarmListenerIdentity, group: ServiceGroup, task: Task<Void, Never>)?
        func close() async {
            guard let open = current else { return }
            current = nil
            await open.group.triggerGracefulShutdown()
            await open.task.value
            logger.info("\(name) on \(Self.url(host: open.identity.host, port: port)) closed")
        }
        let refreshed = Refreshed()
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            // Read before the listener opens, then every round: a revocation holds within one round.
            if let values = await refresh() { refreshed.values.withLock { $0 = values } }
            let wanted = await identity()
            if wanted != current?.identity {
                await close()
                if let wanted {
                    let group = ServiceGroup(configuration: .init(
                        services: [serve(.hostname(wanted.host, port: port), tls(wanted, refreshed: refreshed))],
                        logger: logger))
                    let url = Self.url(host: wanted.host, port: port)
                    let (logger, name) = (logger, name)
                    current = (wanted, group, Task {
                        do {
                            try await group.run()
                        } catch {
                            logger.warning("\(name) on \(url): \(error)")
                        }
                    })
                    logger.info("\(name) on \(url) (mutual TLS)")
                }
            }
            // The pause ends early when the daemon stops.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.followInterval) }
        }
        await close()
    }

    private func tls(_ identity: SwarmListenerIdentity, refreshed: Refreshed) -> APITLS {
        let cache = Mutex<(pem: String, context: NIOSSLContext)?>(nil)
        let admits = self.admits
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
            admits: { leaf in admits(identity, leaf, refreshed.values.withLock { $0 }) })
    }

    /// What `refresh` read last, shared with the connections' admission.
    final class Refreshed: Sendable {
        let values = Mutex<Set<String>>([])
    }
}

/// The cluster endpoint (`DOCKER_HOST=tcp://MANAGER:2376` of a credentials bundle), on managers only: user
/// certificates of this cluster (`UserCertificate`) that are not revoked get in; a node's certificate, one from
/// another CA, and a client without one do not.
enum ClusterEndpoint {
    static let defaultPort = 2376

    static func listener(swarm: SwarmMembership, port: Int, logger: Logger,
                         serve: @escaping @Sendable (BindAddress, APITLS) -> any Service) -> SwarmTLSListener {
        SwarmTLSListener(
            name: "cluster endpoint", port: port,
            identity: { await swarm.clusterEndpointIdentity() },
            refresh: { await swarm.revokedUserSerials() },
            admits: { identity, leaf, revoked in
                UserCertificate.admits(der: leaf, clusterID: identity.clusterID, revoked: revoked)
            },
            serve: serve, logger: logger)
    }

    static func url(host: String, port: Int) -> String { SwarmTLSListener.url(host: host, port: port) }
}

/// The node engine channel: every node of a swarm serves its own engine's Docker API on its advertise address,
/// to the managers of its cluster only (their node certificates, OU `swarm-manager`), so that the cluster
/// endpoint can reach a container on whichever node runs it. Workers still never read the store; users never
/// reach a node's engine this way (their certificates are no manager's).
enum NodeEngineChannel {
    /// After the control API (2377) and etcd's client and peer ports (2378, 2379).
    static let defaultPort = 2381

    static func listener(swarm: SwarmMembership, port: Int, logger: Logger,
                         serve: @escaping @Sendable (BindAddress, APITLS) -> any Service) -> SwarmTLSListener {
        SwarmTLSListener(
            name: "node engine channel", port: port,
            identity: { await swarm.nodeEngineIdentity() },
            refresh: { nil },
            admits: { identity, leaf, _ in
                guard let caller = try? NodeCertificate(der: leaf) else { return false }
                return caller.role == .manager && caller.clusterID == identity.clusterID
            },
            serve: serve, logger: logger)
    }
}
