import Foundation
import ShoalCore
import ShoalEtcd
import ShoalModel

/// This manager's own place in the store's raft: becoming a voter after joining, and leaving it (for a demotion
/// or `swarm leave --force`) without costing the others their quorum.
extension ManagerNode {
    /// Waits until this node's store member has been promoted from learner (a learner serves no linearizable
    /// reads, so the manager cannot work before).
    func waitUntilVoter() async throws {
        let deadline = ContinuousClock.now + Self.learnerDeadline
        while ContinuousClock.now < deadline {
            if let status = try? await client.status(), !status.isLearner { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ShoalError(.unavailable, "this manager's store member was not promoted from learner in time")
    }

    /// `leave --force` of a manager whose store other managers share: its node and its member go first, so the
    /// others keep their quorum. The last manager's store simply goes away with it.
    func leaveStore() async {
        guard let members = try? await client.memberList(), members.count > 1,
              let member = members.first(where: { $0.name == config.nodeID }) else { return }
        try? await objects.deleteNode(config.nodeID)
        do {
            try await client.memberRemove(id: member.id)
        } catch {
            logger.error("swarm: cannot remove this manager's store member: \(error)")
        }
    }

    /// A demotion's store part: the node loses its manager status and its member leaves the raft. etcd refuses
    /// while the rest would lack a settled quorum; the caller tries again later.
    func leaveStoreForDemotion() async throws {
        try await objects.updateNode(config.nodeID) { node in
            node.managerStatus = nil
            return true
        }
        let members = try await client.memberList()
        guard let me = members.first(where: { $0.name == config.nodeID }) else { return }
        do {
            try await client.memberRemove(id: me.id)
        } catch {
            // The answer may be lost when the member stops itself; it is gone if the others no longer list it.
            if let now = try? await client.memberList(), now.contains(where: { $0.id == me.id }) { throw error }
        }
    }

    /// The name (node ID) of the store member that leads, as this manager's etcd member sees it.
    func leaderNodeID() async -> String? {
        guard let status = try? await client.status(), status.leaderID != 0,
              let members = try? await client.memberList() else { return nil }
        return members.first { $0.id == status.leaderID }?.name
    }
}
