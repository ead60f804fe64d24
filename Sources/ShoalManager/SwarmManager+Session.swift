import Foundation
import ShoalClusterClient
import ShoalClusterStore
import ShoalClusterProto
import ShoalCA
import ShoalCore
import ShoalModel

extension SwarmManager {
    /// How often the heartbeat monitor looks for nodes that missed their periods (Down is noticed at most this
    /// late).
    static let heartbeatCheckInterval: Duration = .milliseconds(250)

    static func period(_ spec: SwarmSpec) -> Duration { .milliseconds(Int64(spec.heartbeatPeriod * 1000)) }

    // MARK: manager: control API and node health

    /// Every how many checks (1 s) a manager re-reads the managers and the heartbeat period from the store, the
    /// leader asks the other managers whether they answer, and a manager looks whether it was demoted.
    static let managerProbeTicks = 4

    /// Serves the control API on the listen address and starts the monitor: it follows who leads, and on the
    /// leader expires heartbeats and probes the other managers.
    func startControl(_ config: SwarmLocalConfig) async throws {
        let tls = try TLSFiles.read(from: URL(fileURLWithPath: paths.tls))
        let listen = try SwarmAddresses.parse(config.listenAddress)
        controlServer = try await ControlServer.start(
            host: listen.host, port: listen.port, tls: tls, clusterID: config.clusterID,
            services: [NodeCAService(manager: self), DispatcherService(manager: self), MembershipService(manager: self),
                       NetworksService(manager: self)],
            logger: logger)
        await refreshManagerAddresses()
        await refreshLeadership()
        // A manager's node has an agent too: its containers' endpoints come and go through the leader like any
        // node's.
        if agent == nil { try startAgent(config) }
        heartbeatMonitor = Task {
            var ticks = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.heartbeatCheckInterval)
                ticks += 1
                await self.refreshLeadership()
                if ticks % Self.managerProbeTicks == 0 {
                    await self.refreshManagerAddresses()
                    await self.refreshHeartbeatPeriod()
                    await self.probeManagers()
                    await self.dropEndpointsOfRemovedNodes()
                    await self.followOwnRole()
                }
                await self.expireHeartbeats()
            }
        }
    }

    func stopControl() async {
        heartbeatMonitor?.cancel()
        heartbeatMonitor = nil
        await agent?.stop()
        agent = nil
        await controlServer?.stop()
        controlServer = nil
        await leaderServices?.stop()
        leaderServices = nil
    }

    /// Follows the store's raft leader. A manager that starts to lead gives every node the store remembers as
    /// Ready one full grace time (three periods) to reach it before it is Down; one that stops leading forgets
    /// its sessions' heartbeats (its agents move to the leader at their next heartbeat).
    func refreshLeadership() async {
        guard let client, let config else { return }
        let leads: Bool
        if let status = try? await client.status() {
            leads = status.leaderID != 0 && status.leaderID == status.memberID
        } else {
            leads = false
        }
        guard leads != leading else { return }
        guard leads else {
            await leaderServices?.stop()
            leaderServices = nil
            logger.info("swarm: this manager no longer leads")
            return
        }
        // The term starts once its claim on the leader key is in the store (tried again at the next check).
        let nodes: [SwarmNode]
        do {
            nodes = try await storedNodes()
            leaderServices = try await LeaderServices.start(
                nodeID: config.nodeID, objects: try managerObjects(), nodes: nodes,
                period: heartbeatPeriod, logger: logger)
        } catch {
            logger.warning("swarm: this manager leads the store but cannot start its term yet: \(error)")
            return
        }
        logger.info("swarm: this manager leads")
    }

    /// A heartbeat on a node's session (Dispatcher.Session): only nodes of this cluster, identified by their
    /// certificate, and only on the leader (others refuse, and the agent tries the next manager). A node coming
    /// back (or new) is marked Ready.
    func heartbeat(from caller: NodeCertificate?) async throws -> SessionParameters {
        guard let config, controlServer != nil else { throw SwarmErrors.notManager }
        try ControlAccess.anyNode.check(caller, clusterID: config.clusterID)
        guard let nodeID = caller?.nodeID else { throw ShoalError.permissionDenied("no node identity") }
        guard let health = leaderServices?.health else { throw ShoalError(.unavailable, SwarmErrors.notLeaderMessage) }
        // The node as the store has it: a removed node's session ends here, and the node learns its role.
        guard let node = try await managerObjects().node(nodeID) else {
            await health.forget(nodeID)
            throw SwarmErrors.removedNode(nodeID)
        }
        let role: NodeRole = node.spec.role == .manager ? .manager : .worker
        try await health.heartbeat(nodeID, period: heartbeatPeriod)
        let managers = managerAddresses.isEmpty ? [(nodeID: config.nodeID, address: config.advertiseAddress)] : managerAddresses
        return SessionParameters(heartbeatPeriod: heartbeatPeriod, managers: managers, role: role)
    }

    /// `swarm update --dispatcher-heartbeat` may have been answered by another manager: every manager follows
    /// the period in the store (the leader tells its nodes at their next heartbeat).
    func refreshHeartbeatPeriod() async {
        guard let info = try? await cluster() else { return }
        heartbeatPeriod = Self.period(info.spec)
    }

    /// What a follower tells a node before refusing its session: the managers, to find the leader among.
    func followerParameters() -> SessionParameters {
        SessionParameters(heartbeatPeriod: heartbeatPeriod, managers: managerAddresses, role: nil)
    }

    /// The control addresses of the managers other than this one (as the monitor last read them).
    func otherManagers(_ config: SwarmLocalConfig) -> [String] {
        managerAddresses.map(\.address).filter { $0 != config.advertiseAddress }
    }

    func refreshManagerAddresses() async {
        guard let all = try? await storedNodes() else { return }
        managerAddresses = all.compactMap { node in
            guard let status = node.managerStatus, !status.address.isEmpty else { return nil }
            return (nodeID: node.id, address: status.address)
        }.sorted { $0.address < $1.address }
    }

    /// The leader asks every other manager's control API whether it answers (see `NodeHealth.probe`).
    func probeManagers() async {
        guard let health = leaderServices?.health, let config,
              let tls = try? TLSFiles.read(from: URL(fileURLWithPath: paths.tls)) else { return }
        await health.probe(managerAddresses.filter { $0.nodeID != config.nodeID }, rootCAPEM: tls.caCertificatePEM,
                           identity: tls.identity, period: heartbeatPeriod)
    }

    func expireHeartbeats() async {
        await leaderServices?.health.expire()
    }

    // MARK: worker: the agent

    /// The node's agent: a worker's only way to the managers; a manager's for its own node's endpoints (its role
    /// and removal are the manager's own business, so its agent reports neither).
    func startAgent(_ config: SwarmLocalConfig) throws {
        let tls = try TLSFiles.read(from: URL(fileURLWithPath: paths.tls))
        let isManager = config.role == NodeRoleName.manager.rawValue
        let managers = isManager ? [config.advertiseAddress] + otherManagers(config) : config.managers ?? []
        let handlers = endpointHandlers
        let agent = SwarmAgent(
            configuration: SwarmAgent.Configuration(
                nodeID: config.nodeID, managers: managers, rootCAPEM: tls.caCertificatePEM,
                identity: tls.identity,
                role: config.role),
            logger: logger,
            events: SwarmAgent.Events(
                managers: { managers in await self.rememberManagers(managers) },
                roleChanged: { role in if !isManager { await self.roleChanged(to: role) } },
                removed: { if !isManager { await self.removedFromSwarm() } },
                endpoints: handlers.update,
                localAttachments: handlers.localAttachments))
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

/// What the node's agent hands to this host's engine (set once by the daemon, before the swarm is restored).
public struct EndpointHandlers: Sendable {
    /// Endpoints on swarm-scoped networks on the other nodes: a full set when a session starts, then changes.
    public var update: @Sendable (Shoal_Cluster_V1_EndpointUpdate) async -> Void
    /// This node's own endpoints on swarm-scoped networks.
    public var localAttachments: @Sendable () async -> [String]

    public init(update: @escaping @Sendable (Shoal_Cluster_V1_EndpointUpdate) async -> Void = { _ in },
                localAttachments: @escaping @Sendable () async -> [String] = { [] }) {
        self.update = update
        self.localAttachments = localAttachments
    }
}

extension SwarmManager {
    public func setEndpointHandlers(_ handlers: EndpointHandlers) { endpointHandlers = handlers }
}
