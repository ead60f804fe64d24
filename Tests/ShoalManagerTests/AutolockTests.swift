import Foundation
import ShoalCA
import ShoalCore
import ShoalModel
import ShoalTestSupport
import Testing

@testable import ShoalManager

/// Autolock concerns managers only (as swarmkit's: a worker's key is never encrypted): in a swarm made with
/// `--autolock` the manager's material is sealed with the unlock key in the store and follows its rotation, and
/// the worker that joined keeps its key in clear and is never locked.
@Suite(.timeLimit(.minutes(3))) struct AutolockTests {
    @Test func theManagerIsSealedWithTheStoresKeyAndTheWorkerIsNot() async throws {
        var spec = SwarmSpec()
        spec.autoLockManagers = true
        try await TestRun.with("autolock") { run in
            try await InProcessSwarm.with(run, spec: spec) { manager, _, worker, workerRoot in
                let text = try await manager.unlockKey()
                let key = try UnlockKey(text: text)
                let managerFiles = await manager.keyFiles, workerFiles = await worker.keyFiles
                #expect(managerFiles.isSealed && managerFiles.unlockKey == key)
                #expect(try await manager.inspect().spec.autoLockManagers)

                #expect(!workerFiles.isSealed && workerFiles.unlockKey == nil)
                let workerKey = try String(contentsOfFile: workerRoot + "/swarm/certificates/node.key", encoding: .utf8)
                #expect(workerKey.contains("PRIVATE KEY"))
                await #expect(throws: ShoalError.self) { try await worker.unlockKey() }
                do {
                    try await worker.unlock(keyText: text)
                    Issue.record("a worker took an unlock key")
                } catch let error as ShoalError {
                    #expect(error.message == SwarmErrors.workerNotManager.message)
                }
                do {
                    try await manager.unlock(keyText: text)
                    Issue.record("an active manager took an unlock key")
                } catch let error as ShoalError {
                    #expect(error.code == .conflict && error.message == "swarm is not locked")
                }

                // Rotation: the manager's material is sealed with the new key when the update returns.
                let info = try await manager.inspect()
                try await manager.update(version: info.version, spec: info.spec, rotateWorkerToken: false,
                                         rotateManagerToken: false, rotateManagerUnlockKey: true)
                let rotated = try UnlockKey(text: try await manager.unlockKey())
                #expect(rotated != key && managerFiles.unlockKey == rotated)
                #expect(throws: ShoalError.self) { try SwarmKeyFiles(paths: managerFiles.paths).unlock(with: key) }

                // Off: the manager's material is in clear again and there is no key.
                let current = try await manager.inspect()
                var off = current.spec
                off.autoLockManagers = false
                try await manager.update(version: current.version, spec: off, rotateWorkerToken: false,
                                         rotateManagerToken: false, rotateManagerUnlockKey: true)
                #expect(try await manager.unlockKey() == "")
                #expect(!managerFiles.isSealed)
            }
        }
    }

    /// A promoted worker seals its material with the store's key on its own, and follows a rotation made on the
    /// other manager (each manager re-seals when it sees the new key in the store).
    @Test func aPromotedManagerSealsItsMaterialAndFollowsRotation() async throws {
        var spec = SwarmSpec()
        spec.autoLockManagers = true
        try await TestRun.with("autolock-promote") { run in
            try await InProcessSwarm.with(run, spec: spec) { manager, _, worker, _ in
                let workerFiles = await worker.keyFiles
                let key = try UnlockKey(text: try await manager.unlockKey())
                let node = try #require(try await manager.nodes().first { $0.spec.role == .worker })
                var promoted = node.spec
                promoted.role = .manager
                try await manager.updateNode(node.id, version: node.version, spec: promoted)
                #expect(try await Self.eventually { workerFiles.isSealed && workerFiles.unlockKey == key })
                #expect(try await worker.unlockKey() == key.text)

                let info = try await manager.inspect()
                try await manager.update(version: info.version, spec: info.spec, rotateWorkerToken: false,
                                         rotateManagerToken: false, rotateManagerUnlockKey: true)
                let rotated = try UnlockKey(text: try await manager.unlockKey())
                #expect(try await Self.eventually { workerFiles.unlockKey == rotated })
                #expect(throws: ShoalError.self) { try SwarmKeyFiles(paths: workerFiles.paths).unlock(with: key) }
                // It leaves while both store members run: the fixture's cleanup then finds a store with a quorum.
                try await worker.leave(force: true)
            }
        }
    }

    /// Polls `condition` every 200 ms for up to a minute.
    private static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return false
    }
}
