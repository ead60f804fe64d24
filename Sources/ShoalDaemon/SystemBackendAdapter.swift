import Foundation
import ShoalCore
import ShoalDockerAPI
import ShoalEngine
import ShoalImages
import ShoalModel
import ShoalOCI

/// `docker info`, `system df` and `events` from the engine's services.
struct SystemBackendAdapter: SystemBackend {
    let containers: ContainerService
    let images: ImageStore
    let volumes: VolumeService
    let events: EventBus
    let facts: HostFacts
    let daemonID: String
    let dataRoot: String

    func systemInfo() async throws -> SystemInfo {
        let records = await containers.list()
        let running = records.filter { $0.state.status == .running || $0.state.status == .restarting }.count
        let paused = records.filter { $0.state.status == .paused }.count
        var info = SystemInfo(
            id: daemonID, name: facts.hostname, containers: records.count, containersRunning: running,
            containersPaused: paused, containersStopped: records.count - running - paused,
            images: await images.list().count, storageDriver: "overlay", cgroupDriver: "cgroupfs",
            cgroupVersion: facts.cgroupVersion, kernelVersion: facts.kernelVersion,
            operatingSystem: facts.operatingSystem, osType: "linux", architecture: facts.architecture,
            cpus: facts.cpus, memoryBytes: facts.memoryBytes, rootDir: dataRoot,
            serverVersion: "20.10.99-shoal", runtimeName: "runc", initBinary: "docker-init",
            securityOptions: facts.securityOptions)
        info.insecureRegistryCIDRs = images.insecureRegistries.cidrs
        info.insecureRegistryHosts = images.insecureRegistries.hosts
        return info
    }

    func diskUsage() async throws -> DiskUsage {
        let imageUsage = await images.diskUsage()
        let users = await containers.imageUsers()
        let volumeUsers = await containers.volumeUsers()
        let sizes = await volumes.sizes()
        let records = await containers.list()
        return DiskUsage(
            layersSize: imageUsage.layersSize,
            images: imageUsage.images.map { image in
                var info = image.record.info(containers: users[image.record.id.description]?.count ?? 0)
                info.sharedSize = image.sharedSize
                return info
            },
            containers: records.map { .init(record: $0, sizeRw: 0) },
            volumes: await volumes.list().map {
                .init(record: $0, size: sizes[$0.name] ?? 0, refCount: volumeUsers[$0.name]?.count ?? 0)
            })
    }

    func events(since: Date?, until: Date?) async -> AsyncStream<EngineEvent> {
        events.subscribe(since: since, until: until)
    }
}
