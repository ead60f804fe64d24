import Foundation
import ShoalAgent
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
        let store = try managerStore()
        guard let stored = try await store.get(SwarmKeys.node(nodeID)) else {
            throw ShoalError.notFound("node \(nodeID) not found")
        }
        var node = try SwarmKeys.decode(SwarmNode.self, stored)
        node.spec.role = .manager
        node.managerStatus = ManagerStatus(leader: false, reachability: .reachable, address: controlAddress)
        node.updatedAt = Date()
        try await store.commit([.put(SwarmKeys.node(nodeID), try SwarmKeys.encode(node))], if: [])

        var members = try await client.memberList()
        var added = members.first { $0.peerURLs.contains(etcdPeerURL) }
        if added == nil {
            let result = try await client.memberAdd(peerURLs: [etcdPeerURL])
            added = result.added
            members = result.members
        }
        logger.info("swarm: manager \(nodeID) added to the store at \(etcdPeerURL)")
        return members.map { member in
            StoreMember(name: member.id == added?.id ? nodeID : member.name, peerURL: member.peerURLs.first ?? "",
                        clientURL: member.clientURLs.first ?? "")
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
        try config.save(paths)
        self.config = config
        heartbeatPeriod = Self.period(try await inspect().spec)
        try await startControl(config)
    }

    /// A manager leaving a store other managers share (`leave --force`) removes its node and its etcd member
    /// first, so the others keep their quorum. The last manager's store simply goes away with it.
    func leaveStore(_ config: SwarmLocalConfig) async {
        guard let client, let store, let members = try? await client.memberList(), members.count > 1,
              let member = members.first(where: { $0.name == config.nodeID }) else { return }
        _ = try? await store.commit([.delete(SwarmKeys.node(config.nodeID))], if: [])
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
