import Foundation
import Glibc
import ShoalAgent
import ShoalCore
import ShoalDockerAPI
import ShoalEngine
import ShoalImages
import ShoalModel
import ShoalOS

/// This host's containers as the node's task runners use them. A task's container is found by its task label,
/// so a runner made after a daemon restart carries on with the container its task already has.
struct TaskEngineAdapter: TaskEngine {
    let containers: ContainerService
    let networks: NetworkService
    let images: ImageStore
    let events: EventBus
    /// A tmpfs of this daemon's (under its exec root) where tasks' secrets and configs live while their containers
    /// need them: in memory only, never on the node's disk.
    let filesRoot: String
    /// `--userns-remap`: files belong to the ids they name inside the container, and the task's directory to its
    /// root, as dockerd stages secrets for a remapped container (its root must reach them, nothing else may).
    var idMapping: IDMapping? = nil

    func container(ofTask taskID: String) async -> (id: String, observation: TaskController.Observation)? {
        guard let record = await containers.list().first(where: { $0.labels[TaskContainer.taskIDLabel] == taskID })
        else { return nil }
        return record.state.status == .removing ? nil : (record.id, Self.observation(record))
    }

    /// A running container's health decides whether its task may report running (Docker's executor waits for
    /// `healthy`) or must end (`unhealthy`).
    static func observation(_ record: ContainerRecord) -> TaskController.Observation {
        let unhealthy = record.state.health?.status == .unhealthy
        switch record.state.status {
        case .created: return .created
        case .running, .paused, .restarting:
            switch record.state.health?.status {
            case nil, .healthy?: return .running
            case .starting?: return .checking
            case .unhealthy?: return .unhealthy
            }
        case .exited, .dead, .removing: return .exited(code: Int(record.state.exitCode), unhealthy: unhealthy)
        }
    }

    /// The image as `docker run` would get it: pulled (with the service's credentials) only when this node
    /// lacks it, and announced with Docker's `pull` event.
    func ensureImage(_ image: String, registryAuth: String?) async throws {
        if (try? await images.image(image)) != nil { return }
        try await ImageBackendAdapter(images: images, containers: containers, events: events)
            .pullImage(image, auth: registryAuth.flatMap(RegistryAuth.init(header:))) { _ in }
    }

    func create(name: String, spec: ContainerSpec) async throws -> String {
        try await containers.create(name: name, spec: spec).id
    }

    func start(_ id: String) async throws { try await containers.start(id) }

    /// Ends when the container's exit or a change of its health makes it other than `observation`, or when the
    /// caller is cancelled (the runner then steps again). The engine's events are followed from before the
    /// container is looked at again, so no change falls in between.
    func waitForChange(_ id: String, from observation: TaskController.Observation) async {
        let changes = events.subscribe(since: nil, until: nil)
        func changed() async -> Bool {
            guard let record = try? await containers.container(id) else { return true }
            return Self.observation(record) != observation
        }
        if await changed() { return }
        for await event in changes where event.kind == .container && event.actorID == id {
            guard event.action == "die" || event.action == "destroy" || event.action.hasPrefix("health_status")
                || event.action == "start" else { continue }
            if await changed() { return }
        }
    }

    func serve(_ id: String) async { await networks.serveServiceNames(id) }

    /// The task leaves this host's balancers and its service's names first, then gets its stop signal.
    func stop(_ id: String, grace: Int?) async throws {
        await networks.drainServiceNames(id)
        try await containers.stop(id, timeout: grace, signal: nil)
    }

    func remove(_ id: String) async throws { try await containers.remove(id, force: true, removeVolumes: false) }

    func logs(_ id: String, options: LogOptions) async throws -> AsyncThrowingStream<LogEntry, any Error> {
        try await containers.logs(id, options: options)
    }

    func stageFiles(taskID: String, files: [TaskFile]) async throws -> [MountSpec] {
        let directory = try taskDirectory(taskID)
        var mounts: [MountSpec] = []
        for (index, file) in files.enumerated() {
            let path = "\(directory)/\(index)"
            guard FileManager.default.createFile(atPath: path, contents: file.data,
                                                 attributes: [.posixPermissions: Int(file.mode & 0o7777)]) else {
                throw ShoalError.system("write \(path)")
            }
            var owner = (uid: UInt32(file.uid) ?? 0, gid: UInt32(file.gid) ?? 0)
            if let idMapping { owner = try idMapping.hostOwner(uid: owner.uid, gid: owner.gid) }
            if chown(path, owner.uid, owner.gid) != 0 { throw ShoalError.system("chown \(path)") }
            mounts.append(MountSpec(kind: .bind, source: path, target: file.target, readOnly: true))
        }
        return mounts
    }

    func dropFiles(taskID: String) async {
        try? FileManager.default.removeItem(atPath: "\(filesRoot)/\(taskID)")
    }

    /// The task's own directory on the tmpfs (mounted the first time a task needs it).
    private func taskDirectory(_ taskID: String) throws -> String {
        guard !taskID.isEmpty, !taskID.contains("/"), !taskID.hasPrefix(".") else {
            throw ShoalError.invalidArgument("task ID \(taskID)")
        }
        try FileManager.default.createDirectory(atPath: filesRoot, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        if !Mounts.isMounted(filesRoot) {
            // Searchable by others only for a remapped root, which must reach its own task's directory.
            try Mounts.tmpfs(target: filesRoot, options: idMapping == nil ? "mode=0700" : "mode=0711", noExec: true)
        }
        let directory = "\(filesRoot)/\(taskID)"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        if let idMapping { try ContainerService.chownToRoot([directory], idMapping) }
        return directory
    }
}
