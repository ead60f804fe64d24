import Foundation
import ShoalClusterClient
import ShoalCA
import ShoalCore
import ShoalEtcd
import ShoalModel

/// Role changes (`docker node promote/demote`, `node update --role`), removal and certificate renewal, as the node
/// concerned carries them out. The managers only change the node's spec in the store; a worker learns its new role
/// from its session, a manager from the store (its monitor looks once a second).
extension SwarmManager {
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
            await agent?.stop()
            agent = nil
            let port = try SwarmAddresses.parse(config.advertiseAddress).port
            var promoted = config
            promoted.role = NodeRoleName.manager.rawValue
            promoted.etcdClientPort = port + 1
            promoted.etcdPeerPort = port + 2
            promoted.managers = nil
            let tls = try replaceOwnCertificate(certificatePEM: renewed.certificatePEM, keyPEM: renewed.keyPEM)
            let joined = JoinedNode(nodeID: config.nodeID, clusterID: config.clusterID, role: .manager,
                                    rootCAPEM: tls.caCertificatePEM, certificatePEM: tls.certificatePEM,
                                    keyPEM: tls.keyPEM)
            do {
                try await becomeManager(joined, config: promoted, managers: managers)
            } catch {
                await stopControl()
                await stopStore()
                try? FileManager.default.removeItem(atPath: paths.etcdData)
                throw error
            }
            logger.info("swarm: this node is now a manager")
        } catch {
            logger.error("swarm: promotion failed, staying a worker: \(error)")
            if agent == nil { try? startAgent(config) }
        }
    }

    // MARK: demotion (a manager whose node spec says worker)

    /// Called by the monitor: a manager whose node the store now calls a worker gives up its store member and
    /// control API and becomes a worker with a worker certificate.
    func followOwnRole() async {
        guard !demoting, let config, config.role == NodeRoleName.manager.rawValue, let objects = try? managerObjects(),
              let node = try? await objects.node(config.nodeID), node.spec.role == .worker else { return }
        demoting = true
        defer { demoting = false }
        do {
            try await demote(config)
            logger.info("swarm: this node is now a worker")
        } catch {
            logger.error("swarm: demotion not done yet (retrying): \(error)")
        }
    }

    private func demote(_ config: SwarmLocalConfig) async throws {
        guard let client else { return }
        // Everything that needs the store first: the worker certificate and the other managers.
        let own = try await signOwnCertificate(config)
        let others = managerAddresses.filter { $0.nodeID != config.nodeID }.map(\.address)
        guard !others.isEmpty else { throw ShoalError.invalidState("no other manager to report to") }
        try await managerObjects().updateNode(config.nodeID) { node in
            node.managerStatus = nil
            return true
        }
        // Leave the store. etcd refuses while the rest would lack a settled quorum: then retry next time.
        let members = try await client.memberList()
        if let me = members.first(where: { $0.name == config.nodeID }) {
            do {
                try await client.memberRemove(id: me.id)
            } catch {
                // The answer may be lost when the member stops itself; it is gone if the others no longer list it.
                if let now = try? await client.memberList(), now.contains(where: { $0.id == me.id }) { throw error }
            }
        }
        await stopControl()
        await stopStore()
        try? FileManager.default.removeItem(atPath: paths.etcdData)
        try replaceOwnCertificate(certificatePEM: own.certificatePEM, keyPEM: own.keyPEM)
        var worker = config
        worker.role = NodeRoleName.worker.rawValue
        worker.etcdClientPort = 0
        worker.etcdPeerPort = 0
        worker.managers = others
        try worker.save(paths)
        self.config = worker
        try startAgent(worker)
    }

    // MARK: removal

    /// `docker node rm` of this node: the managers refuse its session, so it leaves the swarm (as a Docker node
    /// does on "node is removed from cluster").
    func removedFromSwarm() async {
        guard config != nil else { return }
        logger.warning("swarm: this node was removed from the swarm; leaving it")
        renewal?.cancel()
        renewal = nil
        await agent?.stop()
        agent = nil
        try? FileManager.default.removeItem(atPath: paths.directory)
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
        if config.role == NodeRoleName.manager.rawValue {
            let own = try await signOwnCertificate(config)
            try replaceOwnCertificate(certificatePEM: own.certificatePEM, keyPEM: own.keyPEM)
            await stopControl()
            try await startControl(config)
        } else {
            let renewed = try await certificateFromManagers(config)
            try replaceOwnCertificate(certificatePEM: renewed.certificatePEM, keyPEM: renewed.keyPEM)
            await agent?.stop()
            agent = nil
            try startAgent(config)
        }
        logger.info("swarm: node certificate renewed")
    }

    // MARK: this node's certificate

    /// A manager: a new key and a certificate for it, signed here with the CA in the store, for the node as the
    /// store describes it now (its role, its address).
    func signOwnCertificate(_ config: SwarmLocalConfig) async throws -> (certificatePEM: String, keyPEM: String) {
        let key = NodeKey.generate()
        let issued = try await signNodeCertificate(nodeID: config.nodeID, csrPEM: try key.makeCSR(commonName: config.nodeID))
        return (issued.certificatePEM, key.pem)
    }

    /// A worker: a new key and certificate from the first manager that answers, asked with the current one.
    func certificateFromManagers(_ config: SwarmLocalConfig) async throws -> NodeRenewal.Renewed {
        let tls = try TLSFiles.read(from: URL(fileURLWithPath: paths.tls))
        return try await NodeRenewal.renew(managers: config.managers ?? [], nodeID: config.nodeID,
                                           rootCAPEM: tls.caCertificatePEM, identity: tls.identity)
    }

    /// Writes this node's new certificate and key in place of the old ones (the CA stays); returns the files.
    @discardableResult
    func replaceOwnCertificate(certificatePEM: String, keyPEM: String) throws -> TLSFiles {
        let current = try TLSFiles.read(from: URL(fileURLWithPath: paths.tls))
        let replaced = TLSFiles(caCertificatePEM: current.caCertificatePEM, certificatePEM: certificatePEM,
                                keyPEM: keyPEM)
        try replaced.write(to: URL(fileURLWithPath: paths.tls))
        return replaced
    }
}

extension TLSFiles {
    /// This node's certificate and key as the control API's client identity.
    var identity: ControlChannel.Identity { ControlChannel.Identity(certificatePEM: certificatePEM, keyPEM: keyPEM) }
}
