import Foundation
import ShoalClusterClient
import ShoalCA
import ShoalCore
import ShoalEtcd
import ShoalModel

extension SwarmManager {
    /// Membership.AddManager: a node that joined with the manager token asks for its etcd member. The node is
    /// recorded as a manager first: once the member is added, the store has no quorum until it runs. A retry
    /// for the same peer URL finds the member already added.
    func addManager(from caller: NodeCertificate?, etcdPeerURL: String, controlAddress: String) async throws
        -> [StoreMember]
    {
        guard let config, let client else { throw SwarmErrors.notManager }
        try ControlAccess.managers.check(caller, clusterID: config.clusterID)
        guard let nodeID = caller?.nodeID else { throw ShoalError.permissionDenied("no node identity") }
        guard etcdPeerURL.hasPrefix("https://") else {
            throw ShoalError.invalidArgument("invalid etcd peer URL \(etcdPeerURL)")
        }
        let recorded = try await managerObjects().updateNode(nodeID) { node in
            node.spec.role = .manager
            node.managerStatus = ManagerStatus(leader: false, reachability: .reachable, address: controlAddress)
            return true
        }
        guard recorded != nil else { throw ShoalError.notFound("node \(nodeID) not found") }

        var members = try await client.memberList()
        var added = members.first { $0.peerURLs.contains(etcdPeerURL) }
        if added == nil {
            // A learner first: it does not count for the quorum until it has caught up and is promoted, so a
            // manager that never starts (or starts slowly) cannot stall the store.
            let result = try await client.memberAdd(peerURLs: [etcdPeerURL], isLearner: true)
            added = result.added
            members = result.members
        }
        if let added, added.isLearner { promoteWhenCaughtUp(added, nodeID: nodeID, client: client) }
        logger.info("swarm: manager \(nodeID) added to the store at \(etcdPeerURL) as a learner")
        return members.map { member in
            StoreMember(name: member.id == added?.id ? nodeID : member.name, peerURL: member.peerURLs.first ?? "",
                        clientURL: member.clientURLs.first ?? "")
        }
    }

    /// How long a new member has to catch up before it is given up (removed): its manager never came.
    static let learnerDeadline: Duration = .seconds(120)

    /// Promotes a learner once etcd says it is in sync with the leader (retried every 250 ms); removes it if it
    /// never catches up.
    func promoteWhenCaughtUp(_ member: EtcdMember, nodeID: String, client: EtcdClient) {
        let logger = self.logger
        Task {
            let deadline = ContinuousClock.now + Self.learnerDeadline
            while ContinuousClock.now < deadline {
                do {
                    try await client.memberPromote(id: member.id)
                    logger.info("swarm: manager \(nodeID)'s store member is now a voter")
                    return
                } catch {
                    // Promoted already (by an earlier try whose answer was lost)?
                    if let members = try? await client.memberList(),
                       members.contains(where: { $0.id == member.id && !$0.isLearner }) { return }
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
            logger.error("swarm: manager \(nodeID)'s store member never caught up; removing it")
            _ = try? await client.memberRemove(id: member.id)
        }
    }

    /// The joining side, for a node whose certificate says manager: its etcd member joins the store, then it
    /// serves the control API like the first manager.
    func becomeManager(_ joined: JoinedNode, config: SwarmLocalConfig, managers: [String]) async throws {
        let members = try await ManagerMembership.addManager(
            managers: managers, rootCAPEM: joined.rootCAPEM,
            identity: ControlChannel.Identity(certificatePEM: joined.certificatePEM, keyPEM: joined.keyPEM),
            etcdPeerURL: "https://\(config.advertiseHost):\(config.etcdPeerPort)",
            controlAddress: config.advertiseAddress)
        try await startStore(config, state: .existing,
                             initialCluster: members.map { EtcdInitialMember(name: $0.name, peerURL: $0.peerURL) })
        try await waitUntilVoter()
        try config.save(paths)
        self.config = config
        heartbeatPeriod = Self.period(try await cluster().spec)
        try await startControl(config)
    }

    /// Waits until this node's store member has been promoted from learner (a learner serves no linearizable
    /// reads, so the manager cannot work before).
    func waitUntilVoter() async throws {
        guard let client else { return }
        let deadline = ContinuousClock.now + Self.learnerDeadline
        while ContinuousClock.now < deadline {
            if let status = try? await client.status(), !status.isLearner { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ShoalError(.unavailable, "this manager's store member was not promoted from learner in time")
    }

    /// A manager leaving a store other managers share (`leave --force`) removes its node and its etcd member
    /// first, so the others keep their quorum. The last manager's store simply goes away with it.
    func leaveStore(_ config: SwarmLocalConfig) async {
        guard let client, let objects = try? managerObjects(), let members = try? await client.memberList(),
              members.count > 1, let member = members.first(where: { $0.name == config.nodeID }) else { return }
        try? await objects.deleteNode(config.nodeID)
        do {
            try await client.memberRemove(id: member.id)
        } catch {
            logger.error("swarm: cannot remove this manager's store member: \(error)")
        }
    }

    /// The name (node ID) of the store member that leads, as this manager's etcd member sees it.
    func leaderNodeID() async -> String? {
        guard let client, let status = try? await client.status(), status.leaderID != 0,
              let members = try? await client.memberList() else { return nil }
        return members.first { $0.id == status.leaderID }?.name
    }
}
