import Foundation
import ShoalCore
import ShoalDockerAPI
import ShoalEngine
import ShoalImages
import ShoalModel
import ShoalOCI

/// The Docker API's volume backend over the engine's VolumeService.
struct VolumeBackendAdapter: VolumeBackend {
    let volumes: VolumeService
    let containers: ContainerService

    func createVolume(name: String?, driver: String?, labels: [String: String], options: [String: String])
        async throws -> VolumeRecord {
        try await volumes.create(name: name, driver: driver, labels: labels, options: options)
    }
    func listVolumes() async throws -> [VolumeRecord] { await volumes.list() }
    func volume(_ name: String) async throws -> VolumeRecord { try await volumes.get(name) }
    func removeVolume(_ name: String, force: Bool) async throws { try await volumes.remove(name, force: force) }
    func pruneVolumes(all: Bool, labels: [String]) async throws -> (deleted: [String], spaceReclaimed: Int64) {
        try await volumes.prune(all: all, labels: labels)
    }
    func volumeUsage() async throws -> [String: Int] { await containers.volumeUsers().mapValues(\.count) }
}
