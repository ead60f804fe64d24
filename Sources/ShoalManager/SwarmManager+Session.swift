import Foundation
import ShoalAgent
import ShoalCA
import ShoalCore
import ShoalModel

extension SwarmManager {
    /// How often the heartbeat monitor looks for nodes that missed their periods (Down is noticed at most this
    /// late).
    static let heartbeatCheckInterval: Duration = .milliseconds(250)

    /// Managers are re-read from the store every 20 checks (5 s): they change only on join, leave and demotion.
    static let managerRefreshTicks = 20

    static func period(_ spec: SwarmSpec) -> Duration { .milliseconds(Int64(spec.heartbeatPeriod * 1000)) }

    // MARK: manager: control API and node health

    /// Serves the control API on the listen address and starts watching heartbeats. Nodes the store remembers as
    /// Ready get one full grace time (three periods) to come back before they are Down.
    func startControl(_ config: SwarmLocalConfig) async throws {
        let tls = try TLSFiles.read(from: URL(fileURLWithPath: paths.tls))
        let listen = try SwarmAddresses.parse(config.listenAddress)
        controlServer = try await ControlServer.start(
            host: listen.host, port: listen.port, tls: tls, clusterID: config.clusterID,
            services: [NodeCAService(manager: self), DispatcherService(manager: self), MembershipService(manager: self)], logger: logger)
        // Managers have no session (they are store members): only workers are watched.
        for node in try await nodes() where node.spec.role == .worker && node.status.state == .ready {
            tracker.watch(node.id, at: .now, period: heartbeatPeriod)
        }
        await refreshManagerAddresses()
        heartbeatMonitor = Task {
            var ticks = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.heartbeatCheckInterval)
                await self.expireHeartbeats()
                ticks += 1
                if ticks % Self.managerRefreshTicks == 0 { await self.refreshManagerAddresses() }
            }
        }
    }

    func stopControl() async {
        heartbeatMonitor?.cancel()
        heartbeatMonitor = nil
        await controlServer?.stop()
        controlServer = nil
        tracker = HeartbeatTracker()
    }

    /// A heartbeat on a node's session (Dispatcher.Session): only nodes of this cluster, identified by their
    /// certificate. A node coming back (or new) is marked Ready.
    func heartbeat(from caller: NodeCertificate?) async throws -> SessionParameters {
        guard let config, controlServer != nil else { throw SwarmErrors.notManager }
        try ControlAccess.anyNode.check(caller, clusterID: config.clusterID)
        guard let nodeID = caller?.nodeID else { throw ShoalError.permissionDenied("no node identity") }
        if case .ready = tracker.heartbeat(nodeID, at: .now, period: heartbeatPeriod) {
            do {
                try await setNodeState(nodeID, .ready)
            } catch {
                tracker.forget(nodeID)
                throw error
            }
        }
        let managers = managerAddresses.isEmpty ? [(nodeID: config.nodeID, address: config.advertiseAddress)] : managerAddresses
        return SessionParameters(heartbeatPeriod: heartbeatPeriod, managers: managers)
    }

    func refreshManagerAddresses() async {
        guard let all = try? await nodes() else { return }
        managerAddresses = all.compactMap { node in
            guard let status = node.managerStatus, !status.address.isEmpty else { return nil }
            return (nodeID: node.id, address: status.address)
        }.sorted { $0.address < $1.address }
    }

    func expireHeartbeats() async {
        for case .down(let nodeID) in tracker.expire(at: .now) {
            do {
                try await setNodeState(nodeID, .down, message: "heartbeat failure")
                logger.info("swarm: node \(nodeID) is down (no heartbeat for \(HeartbeatTracker.missedPeriods) periods)")
            } catch {
                logger.error("swarm: cannot mark node \(nodeID) down: \(error)")
            }
        }
    }

    /// Sets a node's status (compare-and-swap, retried when a node update raced it).
    func setNodeState(_ nodeID: String, _ state: NodeState, message: String = "") async throws {
        let store = try managerStore()
        for _ in 0..<5 {
            guard let stored = try await store.get(SwarmKeys.node(nodeID)) else {
                throw ShoalError.notFound("node \(nodeID) not found")
            }
            var node = try SwarmKeys.decode(SwarmNode.self, stored)
            guard node.status.state != state else { return }
            node.status.state = state
            node.status.message = message
            node.updatedAt = Date()
            if try await store.commit([.put(SwarmKeys.node(nodeID), try SwarmKeys.encode(node))],
                                      if: [.modRevision(SwarmKeys.node(nodeID), stored.modRevision)]) {
                return
            }
        }
        throw SwarmErrors.outOfSequence
    }

    // MARK: worker: the agent

    func startAgent(_ config: SwarmLocalConfig) throws {
        let tls = try TLSFiles.read(from: URL(fileURLWithPath: paths.tls))
        let agent = SwarmAgent(
            configuration: SwarmAgent.Configuration(
                nodeID: config.nodeID, managers: config.managers ?? [], rootCAPEM: tls.caCertificatePEM,
                identity: ControlChannel.Identity(certificatePEM: tls.certificatePEM, keyPEM: tls.keyPEM)),
            logger: logger,
            onManagers: { managers in await self.rememberManagers(managers) })
        self.agent = agent
        Task { await agent.start() }
    }

    func rememberManagers(_ managers: [String]) {
        guard var config, config.role == NodeRoleName.worker.rawValue else { return }
        config.managers = managers
        try? config.save(paths)
        self.config = config
    }
}
