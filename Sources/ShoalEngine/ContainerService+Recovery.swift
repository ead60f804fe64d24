import Foundation
import ShoalModel
import ShoalOS

extension ContainerService {
    /// Run once at daemon start. Containers live under their own conmon, so a daemon restart kills none of them:
    /// running ones get their exit monitor back, ones that exited while the daemon was down have their exit
    /// recorded (exit code from conmon's exit file), exited ones whose release a stopping daemon left half done are
    /// released, and restart policies are applied as Docker applies them on daemon start (`always`, and
    /// `unless-stopped` unless the user stopped it).
    public func restore() async {
        for record in records.values.sorted(by: { $0.created < $1.created }) {
            let id = record.id
            switch record.state.status {
            case .running, .paused:
                if let state = try? await runtime.state(id: id), state.status == .running || state.status == .paused {
                    await sandboxes.restore(record)
                    startMonitor(id)
                    // Its checks start again (from `starting`, as Docker's restore does); a paused one's on unpause.
                    if state.status == .running { restartHealthMonitor(id) }
                } else {
                    // It ended while the daemon was down: the journal gets what it wrote meanwhile.
                    await journalForwarding(id, follow: false)?()
                    await handleExit(id, code: runtime.exitCode(id: id) ?? 255)
                }
            case .restarting:
                scheduleRestart(record)
            case .removing, .dead:
                try? await locks.withLock(id) { try await self.removeLocked(id, removeVolumes: false) }
            case .exited where record.network != ContainerNetworkState():
                // Its exit was recorded, but the daemon stopped before its sandbox and mounts were released.
                await releaseRuntime(record)
                var released = record
                released.network = ContainerNetworkState()
                try? save(released)
            case .created, .exited:
                break
            }
        }
        for record in records.values where record.state.status == .exited {
            let policy = record.spec.host.restartPolicy.name
            if policy == .always || (policy == .unlessStopped && !record.manuallyStopped) {
                do {
                    try await start(record.id)
                } catch {
                    logger.warning("restart policy: \(record.name) did not start: \(error)")
                }
            }
        }
    }
}
