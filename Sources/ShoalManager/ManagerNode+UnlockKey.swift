import Foundation
import ShoalCA
import ShoalCore
import ShoalModel

/// Autolock on a manager: the swarm's unlock key lives in the cluster object (sealed with the data key), and
/// every manager keeps its own key material at rest sealed with it (`SwarmKeyFiles`), following each change of
/// the key within a second, as swarmkit's managers re-encrypt their TLS key when the cluster's key changes.
extension ManagerNode {
    /// `docker swarm unlock-key`: the key in Docker's text form, empty while autolock is off (the CLI then says
    /// "no unlock key is set").
    func unlockKeyText() async throws -> String {
        try await objects.managerUnlockKey()?.text ?? ""
    }

    /// The key a `swarm update` leaves in the store (swarmkit's controlapi): none without autolock, a new one when
    /// autolock is turned on or the key rotated, the current one otherwise.
    func nextUnlockKey(autoLock: Bool, rotate: Bool) async throws -> UnlockKey? {
        guard autoLock else { return nil }
        let current = try await objects.managerUnlockKey()
        return current == nil || rotate ? UnlockKey.generate() : current
    }

    /// A new swarm with autolock: its key goes into the cluster object just made.
    func storeUnlockKey(_ key: UnlockKey) async throws {
        let info = try await objects.cluster()
        guard try await objects.replaceCluster(info, unlockKey: key, ifVersion: info.version) else {
            throw SwarmErrors.outOfSequence
        }
    }

    /// Brings this manager's material at rest to the form the store's unlock key asks for (sealed with it, or
    /// clear when autolock is off). Failures are logged and tried again at the next round.
    func followUnlockKey() async {
        do {
            let key = try await objects.managerUnlockKey()
            guard key != keyFiles.unlockKey else { return }
            try keyFiles.reseal(with: key)
            let form = key == nil ? "stored in clear" : "sealed with the unlock key"
            logger.info("swarm: this manager's key material is \(form)")
        } catch {
            logger.warning("swarm: cannot follow the swarm's unlock key yet: \(error)")
        }
    }
}
