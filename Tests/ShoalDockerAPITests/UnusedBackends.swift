import Foundation
import ShoalCore
@testable import ShoalDockerAPI
import ShoalModel

/// Every backend but swarm, for route tests that never reach them; system info is fixed so `/info` answers.
struct UnusedBackends: ContainerBackend, ImageBackend, VolumeBackend, NetworkBackend, ServiceBackend,
    DataObjectBackend, SystemBackend
{
    static func backends(swarm: any SwarmBackend, services: any ServiceBackend = UnusedBackends(),
                         dataObjects: any DataObjectBackend = UnusedBackends()) -> DockerBackends {
        let unused = UnusedBackends()
        return DockerBackends(containers: unused, images: unused, volumes: unused, networks: unused, swarm: swarm,
                              services: services, dataObjects: dataObjects, system: unused)
    }

    func createService(_ spec: ServiceSpec, registryAuth: String?) async throws -> String { throw unused }
    func listServices() async throws -> [SwarmService] { throw unused }
    func service(_ ref: String) async throws -> SwarmService { throw unused }
    func updateService(_ ref: String, version: UInt64, spec: ServiceSpec, rollback: Bool, registryAuth: String?)
        async throws { throw unused }
    func removeService(_ ref: String) async throws { throw unused }
    func listTasks() async throws -> [SwarmTask] { throw unused }
    func task(_ ref: String) async throws -> SwarmTask { throw unused }
    func taskLogs(_ selector: TaskLogSelector, options: LogOptions) async throws
        -> AsyncThrowingStream<TaskLogMessage, any Error> { throw unused }

    func createDataObject(_ kind: DataObjectKind, spec: DataObjectSpec) async throws -> String { throw unused }
    func listDataObjects(_ kind: DataObjectKind) async throws -> [SwarmDataObject] { throw unused }
    func dataObject(_ kind: DataObjectKind, _ ref: String) async throws -> SwarmDataObject { throw unused }
    func updateDataObject(_ kind: DataObjectKind, _ ref: String, version: UInt64, spec: DataObjectSpec) async throws {
        throw unused
    }
    func removeDataObject(_ kind: DataObjectKind, _ ref: String) async throws { throw unused }

    private var unused: ShoalError { ShoalError(.notImplemented, "not part of this test") }

    func systemInfo() async throws -> SystemInfo {
        SystemInfo(id: "SYSTEMID", name: "alpha", containers: 0, containersRunning: 0, containersPaused: 0,
                   containersStopped: 0, images: 0, storageDriver: "overlay2", cgroupDriver: "systemd",
                   cgroupVersion: "2", kernelVersion: "6.1.0", operatingSystem: "Test Linux", osType: "linux",
                   architecture: "x86_64", cpus: 2, memoryBytes: 4 << 30, rootDir: "/var/lib/shoal",
                   serverVersion: "20.10.99-shoal", runtimeName: "runc", initBinary: "")
    }
    func diskUsage() async throws -> DiskUsage { throw unused }
    func events(since: Date?, until: Date?) async -> AsyncStream<EngineEvent> { AsyncStream { $0.finish() } }

    func createContainer(name: String?, spec: ContainerSpec) async throws -> (id: String, warnings: [String]) { throw unused }
    func container(_ ref: String) async throws -> ContainerRecord { throw unused }
    func listContainers() async throws -> [ContainerRecord] { throw unused }
    func startContainer(_ ref: String) async throws { throw unused }
    func stopContainer(_ ref: String, timeout: Int?, signal: String?) async throws { throw unused }
    func restartContainer(_ ref: String, timeout: Int?, signal: String?) async throws { throw unused }
    func killContainer(_ ref: String, signal: String?) async throws { throw unused }
    func pauseContainer(_ ref: String) async throws { throw unused }
    func unpauseContainer(_ ref: String) async throws { throw unused }
    func removeContainer(_ ref: String, force: Bool, removeVolumes: Bool) async throws { throw unused }
    func renameContainer(_ ref: String, to newName: String) async throws { throw unused }
    func waitContainer(_ ref: String, condition: WaitCondition) async throws -> @Sendable () async -> WaitResult {
        throw unused
    }
    func attachContainer(_ ref: String, stdin: Bool, stdout: Bool, stderr: Bool, logs: Bool, stream: Bool)
        async throws -> any StreamSession { throw unused }
    func resizeContainer(_ ref: String, height: Int, width: Int) async throws { throw unused }
    func containerLogs(_ ref: String, options: LogOptions) async throws -> AsyncThrowingStream<LogEntry, any Error> {
        throw unused
    }
    func containerTop(_ ref: String, psArgs: String?) async throws -> ProcessTable { throw unused }
    func containerChanges(_ ref: String) async throws -> [FilesystemChange] { throw unused }
    func updateContainer(_ ref: String, _ update: ContainerUpdate) async throws -> [String] { throw unused }
    func commitContainer(_ ref: String, reference: String?, comment: String, author: String, changes: [String],
                         pause: Bool) async throws -> String { throw unused }
    func containerStats(_ ref: String) async throws -> ContainerStats { throw unused }
    func pruneContainers(labels: [String]) async throws -> (deleted: [String], spaceReclaimed: Int64) { throw unused }
    func createExec(_ ref: String, spec: ExecSpec) async throws -> String { throw unused }
    func startExec(_ id: String, detach: Bool) async throws -> (any StreamSession)? { throw unused }
    func exec(_ id: String) async throws -> ExecRecord { throw unused }
    func resizeExec(_ id: String, height: Int, width: Int) async throws { throw unused }
    func archive(_ ref: String, path: String, to destination: String) async throws -> PathStat { throw unused }
    func statPath(_ ref: String, path: String) async throws -> PathStat { throw unused }
    func extract(_ ref: String, path: String, from source: String, noOverwriteDirNonDir: Bool) async throws {
        throw unused
    }

    func listImages() async throws -> [ImageInfo] { throw unused }
    func image(_ ref: String) async throws -> ImageInfo { throw unused }
    func imageHistory(_ ref: String) async throws -> [ImageHistoryEntry] { throw unused }
    func tagImage(_ ref: String, repository: String, tag: String?) async throws { throw unused }
    func removeImage(_ ref: String, force: Bool, prune: Bool) async throws -> [ImageDeleteItem] { throw unused }
    func pruneImages(danglingOnly: Bool) async throws -> (deleted: [ImageDeleteItem], spaceReclaimed: Int64) {
        throw unused
    }
    func loadImages(fromFile path: String) async throws -> [String] { throw unused }
    func saveImages(_ refs: [String], toFile path: String) async throws { throw unused }
    func importImage(fromFile path: String, repository: String?, tag: String?, changes: [String], message: String)
        async throws -> String { throw unused }
    func pullImage(_ reference: String, auth: RegistryAuth?, progress: @escaping @Sendable (ProgressMessage) -> Void)
        async throws { throw unused }
    func pushImage(_ reference: String, auth: RegistryAuth?, progress: @escaping @Sendable (ProgressMessage) -> Void)
        async throws { throw unused }
    func login(_ auth: RegistryAuth) async throws -> String { throw unused }

    func createVolume(name: String?, driver: String?, labels: [String: String], options: [String: String])
        async throws -> VolumeRecord { throw unused }
    func listVolumes() async throws -> [VolumeRecord] { throw unused }
    func volume(_ name: String) async throws -> VolumeRecord { throw unused }
    func removeVolume(_ name: String, force: Bool) async throws { throw unused }
    func pruneVolumes(all: Bool, labels: [String]) async throws -> (deleted: [String], spaceReclaimed: Int64) {
        throw unused
    }
    func volumeUsage() async throws -> [String: Int] { throw unused }

    func listNetworks() async throws -> [NetworkView] { throw unused }
    func network(_ ref: String) async throws -> NetworkView { throw unused }
    func createNetwork(_ request: NetworkCreateRequest) async throws -> NetworkRecord { throw unused }
    func removeNetwork(_ ref: String) async throws { throw unused }
    func pruneNetworks(labelFilter: @escaping @Sendable ([String: String]) -> Bool) async throws -> [String] {
        throw unused
    }
    func connect(container: String, network: String, request: EndpointRequest) async throws { throw unused }
    func disconnect(container: String, network: String, force: Bool) async throws { throw unused }
}
