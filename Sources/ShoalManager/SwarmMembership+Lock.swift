import Foundation
import ShoalCA
import ShoalCore
import ShoalModel

/// A locked manager (autolock): after a daemon restart a manager whose key material is sealed starts nothing of
/// the swarm (no store member, no control API, no agent; the host's containers keep running) until
/// `docker swarm unlock` gives the key. Workers are never locked: their material is never sealed.
extension SwarmMembership {
    /// Daemon start: true (and the node locked) when this manager's material at rest is sealed.
    func staysLocked(_ config: SwarmLocalConfig) -> Bool {
        guard config.role == NodeRoleName.manager.rawValue, keyFiles.isSealed else { return false }
        // Clear copies a crashed daemon left in the exec root must not unlock anything.
        keyFiles.lock()
        locked = true
        logger.notice("swarm: this manager is locked; unlock it with \"docker swarm unlock\"")
        return true
    }

    /// `docker swarm unlock` (POST /swarm/unlock), as Docker's daemon answers it: only a locked node takes a key.
    public func unlock(keyText: String) async throws {
        guard let config else { throw SwarmErrors.notManager }
        guard locked else {
            if manager != nil { throw SwarmErrors.notLocked }
            throw SwarmErrors.workerNotManager
        }
        let key: UnlockKey
        do {
            key = try UnlockKey(text: keyText)
        } catch {
            throw ShoalError.invalidArgument("invalid key string")
        }
        do {
            try keyFiles.unlock(with: key)
        } catch let error as ShoalError where error.code == .permissionDenied {
            throw SwarmErrors.invalidUnlockKey
        }
        locked = false
        do {
            let manager = try await startManager(config, state: .existing)
            try await manager.markOwnNodeReady()
            try await serve(manager, config)
        } catch {
            await stopAgent()
            await manager?.stop()
            manager = nil
            keyFiles.lock()
            locked = true
            throw ShoalError.internalError("swarm component could not be started: \(error)")
        }
        startRenewal()
        logger.info("swarm: this manager is unlocked")
    }

    /// `docker swarm unlock-key` (GET /swarm/unlockkey): the key, empty while autolock is off.
    public func unlockKey() async throws -> String {
        try await requireManager().unlockKeyText()
    }
}

extension SwarmErrors {
    /// Docker's errSwarmLocked (503).
    public static var locked: ShoalError {
        ShoalError(.unavailable,
                   "Swarm is encrypted and needs to be unlocked before it can be used. Please use \"docker swarm unlock\" to unlock it.")
    }
    /// `docker swarm leave` without `--force` on a locked node.
    public static var lockedLeave: ShoalError {
        ShoalError(.unavailable,
                   "Swarm is encrypted and locked. Please unlock it first or use `--force` to ignore this message.")
    }
    /// A key that does not open the material (Docker: 401).
    public static var invalidUnlockKey: ShoalError {
        ShoalError(.unauthenticated, "swarm could not be unlocked: invalid key provided")
    }
    /// Unlock on an active manager (Docker: 409).
    public static var notLocked: ShoalError { ShoalError(.conflict, "swarm is not locked") }
}
