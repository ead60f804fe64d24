import Foundation
import ShoalCore
import ShoalModel
import ShoalOS

extension ContainerService {
    public func remove(_ ref: String, force: Bool, removeVolumes: Bool) async throws {
        let record = try resolve(ref)
        let id = record.id
        if record.state.isRunning {
            guard force else {
                throw ShoalError.conflict(
                    "You cannot remove a running container \(id). Stop the container before attempting removal or force remove")
            }
            // Kill outside the lock: the exit handler takes the lock to record the exit.
            let exited = try await locks.withLock(id) { () -> Promise<WaitResult>? in
                guard var current = records[id] else { return nil }
                if current.state.status == .restarting {
                    current.state.status = .exited
                    current.manuallyStopped = true
                    try save(current)
                    return nil
                }
                guard current.state.isRunning else { return nil }
                current.manuallyStopped = true
                try save(current)
                let promise = registerWaiter(id, .nextExit)
                try? await runtime.signal(id: id, pid: current.state.pid, signal: 9)
                if current.state.status == .paused { try? await runtime.resume(id: id) }
                return promise
            }
            if let exited {
                if await exited.value(timeout: .seconds(15)) == nil {
                    // The process is gone but conmon did not report it (killed from outside): record it ourselves.
                    await handleExit(id, code: runtime.exitCode(id: id) ?? 137)
                }
            }
        }
        try await locks.withLock(id) { try await self.removeLocked(id, removeVolumes: removeVolumes) }
    }

    /// Removes a stopped container and everything that belongs to it. With `removeVolumes`, its anonymous
    /// volumes go too (`rm -v`, `run --rm`).
    func removeLocked(_ id: String, removeVolumes: Bool) async throws {
        guard var record = records[id] else { return }
        if record.state.status == .running || record.state.status == .paused {
            throw ShoalError.conflict(
                "You cannot remove a running container \(id). Stop the container before attempting removal or force remove")
        }
        record.state.status = .removing
        records[id] = record
        monitors.removeValue(forKey: id)?.cancel()
        stopHealthMonitor(id)
        await releaseRuntime(record)
        for session in pendingAttaches.removeValue(forKey: id) ?? [] { session.end() }
        let directory = paths.containerDirectory(id)
        do {
            try await runBlocking {
                if FileManager.default.fileExists(atPath: directory) { try FileManager.default.removeItem(atPath: directory) }
            }
        } catch {
            record.state.status = .dead
            records[id] = record
            try? store.update(record)
            throw ShoalError.internalError("cannot remove the container's directory", cause: error)
        }
        try store.deleteContainer(id: id)
        records[id] = nil
        idsByName[record.name] = nil
        for (execID, exec) in execs where exec.containerID == id { execs[execID] = nil }
        if removeVolumes {
            for mount in record.mounts where mount.kind == .volume && mount.anonymous {
                try? await volumes.removeUnchecked(mount.name)
            }
        }
        publish(record, "destroy")
        resolveWaiters(id, [.removed, .nextExit, .notRunning], WaitResult(statusCode: record.state.exitCode))
    }

    /// `docker container prune`: every stopped container (matching the label filters).
    public func prune(labels: [String]) async throws -> (deleted: [String], spaceReclaimed: Int64) {
        var deleted: [String] = []
        var space: Int64 = 0
        for record in records.values where !record.state.isRunning && Self.matches(labels, record.labels) {
            let size = DirectorySize.of(paths.upperDirectory(record.id))
            do {
                try await locks.withLock(record.id) { try await self.removeLocked(record.id, removeVolumes: false) }
                deleted.append(record.id)
                space += size
            } catch {
                logger.warning("prune: \(record.id): \(error)")
            }
        }
        return (deleted, space)
    }

    static func matches(_ filters: [String], _ labels: [String: String]) -> Bool {
        filters.allSatisfy { filter in
            if let eq = filter.firstIndex(of: "=") {
                return labels[String(filter[..<eq])] == String(filter[filter.index(after: eq)...])
            }
            return labels[filter] != nil
        }
    }
}
