import Foundation
import ShoalCA
import ShoalClusterClient
import ShoalCore
import ShoalModel

/// Serving the control API, and the monitor that follows who leads the store's raft: it starts this manager's
/// `LeaderServices` when its member starts to lead and stops them when it stops leading. etcd has no watch for
/// leadership changes, so the monitor asks the member four times a second.
extension ManagerNode {
    /// How often the monitor looks who leads and, on the leader, for nodes that missed their periods (Down is
    /// noticed at most this late).
    static let monitorInterval: Duration = .milliseconds(250)

    /// Every how many monitor rounds (1 s) a manager re-reads the managers and the heartbeat period from the
    /// store, the leader asks the other managers whether they answer and drops the endpoints of removed nodes,
    /// and a manager looks whether it was demoted.
    static let slowRounds = 4

    /// Serves the control API on the listen address and starts the monitor. `demoted` is called when the store
    /// says this node is a worker now.
    func serve(demoted: @escaping @Sendable () async -> Void) async throws {
        self.demoted = demoted
        heartbeatPeriod = Self.period(try await objects.cluster().spec)
        let tls = try TLSFiles.read(from: URL(fileURLWithPath: paths.tls))
        let listen = try SwarmAddresses.parse(config.listenAddress)
        controlServer = try await ControlServer.start(
            host: listen.host, port: listen.port, tls: tls, clusterID: config.clusterID,
            services: [NodeCAService(manager: self), DispatcherService(manager: self), MembershipService(manager: self),
                       NetworksService(manager: self), ServicesService(manager: self),
                       DataObjectsService(manager: self), DataKeysService(manager: self), LogsService(manager: self)],
            logger: logger)
        await refreshManagerAddresses()
        await refreshLeadership()
        await followCAAndRaft()
        monitor = Task {
            var rounds = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.monitorInterval)
                rounds += 1
                await self.refreshLeadership()
                if rounds % Self.slowRounds == 0 {
                    await self.refreshManagerAddresses()
                    await self.refreshHeartbeatPeriod()
                    await self.probeManagers()
                    await self.leaderServices?.dropEndpointsOfRemovedNodes()
                    await self.followOwnRole()
                    await self.followCAAndRaft()
                    await self.followUnlockKey()
                }
                await self.leaderServices?.health.expire()
            }
        }
    }

    /// Stops the monitor, the control API and the current term's services (the member keeps running).
    func stopServing() async {
        monitor?.cancel()
        monitor = nil
        await controlServer?.stop()
        controlServer = nil
        await leaderServices?.stop()
        leaderServices = nil
    }

    /// Serves again with the node's renewed certificate (the listener presents the certificate it started with;
    /// etcd reads its files at each handshake).
    func restartServing() async throws {
        guard let demoted else { return }
        await stopServing()
        try await serve(demoted: demoted)
    }

    /// Follows the store's raft leader. A manager that starts to lead gives every node the store remembers as
    /// Ready one full grace time (three periods) to reach it before it is Down; one that stops leading forgets
    /// its sessions' heartbeats (its agents move to the leader at their next heartbeat).
    func refreshLeadership() async {
        let leads: Bool
        if let status = try? await client.status() {
            leads = status.leaderID != 0 && status.leaderID == status.memberID
        } else {
            leads = false
        }
        guard leads != (leaderServices != nil) else { return }
        guard leads else {
            await leaderServices?.stop()
            leaderServices = nil
            logger.info("swarm: this manager no longer leads")
            return
        }
        // The term starts once its claim on the leader key is in the store (tried again at the next round).
        do {
            leaderServices = try await LeaderServices.start(
                nodeID: config.nodeID, objects: objects, dataKey: dataKey, period: heartbeatPeriod, logger: logger)
        } catch {
            logger.warning("swarm: this manager leads the store but cannot start its term yet: \(error)")
            return
        }
        logger.info("swarm: this manager leads")
    }

    /// `swarm update --dispatcher-heartbeat` may have been answered by another manager: every manager follows
    /// the period in the store (the leader tells its nodes at their next heartbeat).
    func refreshHeartbeatPeriod() async {
        guard let info = try? await objects.cluster() else { return }
        heartbeatPeriod = Self.period(info.spec)
    }

    func refreshManagerAddresses() async {
        guard let all = try? await objects.nodes() else { return }
        managerAddresses = all.compactMap { node in
            guard let status = node.managerStatus, !status.address.isEmpty else { return nil }
            return (nodeID: node.id, address: status.address)
        }.sorted { $0.address < $1.address }
    }

    /// The leader asks every other manager's control API whether it answers (see `NodeHealth.probe`).
    func probeManagers() async {
        guard let health = leaderServices?.health,
              let tls = try? TLSFiles.read(from: URL(fileURLWithPath: paths.tls)) else { return }
        await health.probe(managerAddresses.filter { $0.nodeID != config.nodeID }, rootCAPEM: tls.caCertificatePEM,
                           identity: tls.identity, period: heartbeatPeriod)
    }

    /// A manager whose node the store now calls a worker tells its owner, which demotes it (one at a time; tried
    /// again each second until done).
    func followOwnRole() async {
        guard !demoting, let demoted, let node = try? await objects.node(config.nodeID), node.spec.role == .worker
        else { return }
        demoting = true
        defer { demoting = false }
        await demoted()
    }
}
