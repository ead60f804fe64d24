import Foundation
import ShoalCA
import ShoalModel

/// What each manager follows of the cluster's CA and raft options (once a second, from the monitor).
extension ManagerNode {
    /// Follows the cluster object: the trust roots its sessions tell nodes to hold; the raft options its etcd
    /// member takes at its next start (`StoreRaftSettings`); and on the leader, the end of a root rotation once
    /// every node holds a certificate from the next root.
    func followCAAndRaft() async {
        guard let info = try? await objects.cluster() else { return }
        trustRootsDigest = TrustBundle.digest(of: NodeSigner.trustRoots(info))
        let raft = StoreRaftSettings(raft: info.spec.raft)
        if StoreRaftSettings.load(paths) != raft {
            do {
                try raft.save(paths)
                logger.info("swarm: new raft options saved; the store member takes them at its next start")
            } catch {
                logger.warning("swarm: cannot save the raft options: \(error)")
            }
        }
        guard leaderServices != nil, !info.rotationRootCACertificate.isEmpty else { return }
        do {
            if try await objects.finishRootRotation() != nil {
                logger.info("swarm: root CA rotation done: every node holds a certificate from the new root")
            }
        } catch {
            logger.warning("swarm: cannot finish the root CA rotation yet: \(error)")
        }
    }
}
