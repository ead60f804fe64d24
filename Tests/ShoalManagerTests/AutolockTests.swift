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
}
