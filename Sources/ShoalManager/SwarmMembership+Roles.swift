import Foundation
import ShoalClusterClient
import ShoalCA
import ShoalCore
import ShoalEtcd
import ShoalModel

/// Role changes (`docker node promote/demote`, `node update --role`), removal and certificate renewal, as the node
/// concerned carries them out. The managers only change the node's spec in the store; a worker learns its new role
/// from its session, a manager from its `ManagerNode`'s monitor (it looks at the store once a second).
extension SwarmMembership {
    // MARK: promotion (a worker's agent was told "manager")

    /// Renews the certificate with the manager role, joins the store as a member and serves the control API.
    /// On failure the node stays a worker and tries again when its next session tells it the role again.
    func roleChanged(to role: String) async {
        guard let config, config.role == NodeRoleName.worker.rawValue, role == NodeRoleName.manager.rawValue else {
            return
        }
        let managers = config.managers ?? []
        do {
            let renewed = try await certificateFromManagers(config)
            guard renewed.role == .manager else {
                throw ShoalError.invalidState("the managers issued a \(renewed.role) certificate for a promotion")
            }
            await stopAgent()
            let port = try SwarmAddresses.parse(config.advertiseAddress).port
            var promoted = config
            promoted.role = NodeRoleName.manager.rawValue
            promoted.etcdClientPort = port + 1
            promoted.etcdPeerPort = port + 2
            promoted.managers = nil
            let tls = try replaceOwnCertificate(certificatePEM: renewed.certificatePEM, keyPEM: renewed.keyPEM,
                                            rootCAPEM: renewed.rootCAPEM)
            let joined = JoinedNode(nodeID: config.nodeID, clusterID: config.clusterID, role: .manager,
                                    rootCAPEM: tls.caCertificatePEM, certificatePEM: tls.certificatePEM,
                                    keyPEM: tls.keyPEM)
            do {
                try await becomeManager(joined, config: promoted, managers: managers)
            } catch {
                await dropManager()
                throw error
            }
            logger.info("swarm: this node is now a manager")
        } catch {
            logger.error("swarm: promotion failed, staying a worker: \(error)")
            if agent == nil { try? await startAgent(config) }
        }
    }

    // MARK: demotion (a manager whose node spec says worker)

    /// Called by the manager's monitor once the store calls this node a worker: it gives up its store member
    /// and control API and becomes a worker with a worker certificate. Tried again each second until done.
    func demote() async {
        guard let config, let manager else { return }
        do {
            // Everything that needs the store first: the worker certificate and the other managers.
            let own = try await manager.signOwnCertificate()
            let others = await manager.otherManagers
            guard !others.isEmpty else { throw ShoalError.invalidState("no other manager to report to") }
            try await manager.leaveStoreForDemotion()
            await stopAgent()
            await dropManager()
            try replaceOwnCertificate(certificatePEM: own.certificatePEM, keyPEM: own.keyPEM, rootCAPEM: own.rootCAPEM)
            var worker = config
            worker.role = NodeRoleName.worker.rawValue
            worker.etcdClientPort = 0
            worker.etcdPeerPort = 0
            worker.managers = others
            try worker.save(paths)
            self.config = worker
            try await startAgent(worker)
            logger.info("swarm: this node is now a worker")
        } catch {
            logger.error("swarm: demotion not done yet (retrying): \(error)")
        }
    }

    /// Kills the manager half, its store member's data and its data key (a failed promotion, a demotion): a
    /// worker keeps nothing that opens the store's secrets, and keeps its own key in clear (autolock is for
    /// managers only, as swarmkit's).
    private func dropManager() async {
        await manager?.kill()
        manager = nil
        try? FileManager.default.removeItem(atPath: paths.etcdData)
        keyFiles.removeDataKey()
        do {
            try keyFiles.reseal(with: nil)
        } catch {
            logger.error("swarm: cannot store this node's key in clear: \(error)")
        }
    }

    // MARK: removal

    /// `docker node rm` of this node: the managers refuse its session, so it leaves the swarm (as a Docker node
    /// does on "node is removed from cluster").
    func removedFromSwarm() async {
        guard config != nil else { return }
        logger.warning("swarm: this node was removed from the swarm; leaving it")
        renewal?.cancel()
        renewal = nil
        await stopAgent()
        try? FileManager.default.removeItem(atPath: paths.directory)
        keyFiles.erase()
        config = nil
    }

    // MARK: certificate renewal

    /// Renews this node's certificate at a random point between 50 % and 80 % of its lifetime (SwarmKit's
    /// window), from the cluster's CA: a manager signs its own CSR with the CA in the store, a worker asks a
    /// manager. A failed renewal is retried a minute later.
    func startRenewal() {
        renewal?.cancel()
        renewal = Task {
            while !Task.isCancelled {
                guard let tls = try? TLSFiles.read(from: URL(fileURLWithPath: self.paths.tls)),
                      let certificate = try? NodeCertificate.parse(tls.certificatePEM) else { return }
                let due = RenewalSchedule.nextRenewal(notBefore: certificate.notBefore, notAfter: certificate.notAfter)
                while Date() < due && !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(min(60, max(0.1, due.timeIntervalSinceNow))))
                }
                guard !Task.isCancelled else { return }
                do {
                    try await self.renewCertificate()
                } catch {
                    self.logger.error("swarm: certificate renewal failed (retrying in a minute): \(error)")
                    try? await Task.sleep(for: .seconds(60))
                }
            }
        }
    }

    /// A new key and certificate for this node, written in place; the sessions and listeners that present it
    /// are restarted (etcd reads its files at each handshake).
    func renewCertificate() async throws {
        guard let config else { return }
        if let manager {
            let own = try await manager.signOwnCertificate()
            try replaceOwnCertificate(certificatePEM: own.certificatePEM, keyPEM: own.keyPEM, rootCAPEM: own.rootCAPEM)
            try await manager.restartServing()
        } else {
            let renewed = try await certificateFromManagers(config)
            try replaceOwnCertificate(certificatePEM: renewed.certificatePEM, keyPEM: renewed.keyPEM,
                                            rootCAPEM: renewed.rootCAPEM)
        }
        await stopAgent()
        try await startAgent(config)
        logger.info("swarm: node certificate renewed")
    }

    // MARK: this node's certificate

    /// A worker: a new key and certificate from the first manager that answers, asked with the current one.
    func certificateFromManagers(_ config: SwarmLocalConfig) async throws -> NodeRenewal.Renewed {
        let tls = try TLSFiles.read(from: URL(fileURLWithPath: paths.tls))
        return try await NodeRenewal.renew(managers: config.managers ?? [], nodeID: config.nodeID,
                                           rootCAPEM: tls.caCertificatePEM, identity: tls.identity)
    }

    /// Writes this node's new certificate and key in place of the old ones, and the trust roots that came with
    /// them (they change during a root rotation); returns the files.
    @discardableResult
    func replaceOwnCertificate(certificatePEM: String, keyPEM: String, rootCAPEM: String) throws -> TLSFiles {
        let current = try TLSFiles.read(from: URL(fileURLWithPath: paths.tls))
        let replaced = TLSFiles(caCertificatePEM: rootCAPEM.isEmpty ? current.caCertificatePEM : rootCAPEM,
                                certificatePEM: certificatePEM, keyPEM: keyPEM)
        try keyFiles.writeTLS(replaced)
        return replaced
    }
}

extension TLSFiles {
    /// This node's certificate and key as the control API's client identity.
    var identity: ControlChannel.Identity { ControlChannel.Identity(certificatePEM: certificatePEM, keyPEM: keyPEM) }
}
