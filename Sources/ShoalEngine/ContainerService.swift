import Foundation
import Logging
import ShoalCore
import ShoalIPAM
import ShoalImages
import ShoalModel
import ShoalRuntime

/// The containers of this host: create, start, stop, remove, attach, exec, and what happens when they exit
/// (restart policies, auto-remove). Each operation on one container runs under that container's lock; every
/// host change a start makes is undone if a later step fails.
public actor ContainerService {
    let paths: EnginePaths
    let store: EngineStore
    let images: ImageStore
    let runtime: ConmonRuntime
    let volumes: VolumeService
    let sandboxes: any NetworkSandboxProvider
    let events: EventBus
    let logger: Logger
    let initPath: String
    /// `--userns-remap`: the user namespace containers run in unless they ask for the host's.
    let idMapping: IDMapping?
    let locks = KeyedLock()

    var records: [String: ContainerRecord] = [:]
    var idsByName: [String: String] = [:]
    /// Names taken by creates still in progress (they await the image store and volumes before recording).
    var reservedNames: Set<String> = []
    var waiters: [String: [(condition: WaitCondition, promise: Promise<WaitResult>)]] = [:]
    var pendingAttaches: [String: [ContainerStreamSession]] = [:]
    var monitors: [String: Task<Void, Never>] = [:]
    var execs: [String: ExecRecord] = [:]
    /// The health check loop of each running container that has one.
    var healthMonitors: [String: Task<Void, Never>] = [:]

    public init(paths: EnginePaths, store: EngineStore, images: ImageStore, runtime: ConmonRuntime,
                volumes: VolumeService, sandboxes: any NetworkSandboxProvider, events: EventBus,
                initPath: String = "/usr/bin/tini-static", idMapping: IDMapping? = nil, logger: Logger) throws {
        self.paths = paths
        self.store = store
        self.images = images
        self.runtime = runtime
        self.volumes = volumes
        self.sandboxes = sandboxes
        self.events = events
        self.initPath = initPath
        self.idMapping = idMapping
        self.logger = logger
        try FileManager.default.createDirectory(atPath: paths.containersRoot, withIntermediateDirectories: true)
        for record in try store.containers() {
            records[record.id] = record
            idsByName[record.name] = record.id
        }
    }

    // MARK: lookup

    /// Finds a container as Docker does: full ID, name (with or without `/`), or a unique ID prefix.
    func resolve(_ ref: String) throws -> ContainerRecord {
        let name = Self.plainName(ref)
        if let record = records[ref] { return record }
        if let id = idsByName[name], let record = records[id] { return record }
        let matches = ref.isEmpty ? [] : records.values.filter { $0.id.hasPrefix(ref) }
        if matches.count == 1 { return matches[0] }
        if matches.count > 1 {
            throw ShoalError.invalidArgument("multiple IDs found with provided prefix: \(ref)")
        }
        throw ShoalError.notFound("No such container: \(ref)")
    }

    public func container(_ ref: String) throws -> ContainerRecord { withCurrentLinks(try resolve(ref)) }

    /// Docker shows names as `/web` and accepts both forms; records keep them without the slash.
    static func plainName(_ name: String) -> String {
        name.hasPrefix("/") ? String(name.dropFirst()) : name
    }

    public func list() -> [ContainerRecord] { Array(records.values) }

    /// Container IDs per volume name, for volume removal and `volume ls --filter dangling`.
    public func volumeUsers() -> [String: [String]] {
        var users: [String: [String]] = [:]
        for record in records.values {
            for mount in record.mounts where mount.kind == .volume {
                users[mount.name, default: []].append(record.id)
            }
        }
        return users
    }

    /// Image IDs used by containers (`docker rmi` refuses them unless forced).
    public func imageUsers() -> [String: [(id: String, running: Bool)]] {
        var users: [String: [(id: String, running: Bool)]] = [:]
        for record in records.values {
            users[record.imageID, default: []].append((record.id, record.state.isRunning))
        }
        return users
    }

    func save(_ record: ContainerRecord) throws {
        try store.update(record)
        records[record.id] = record
    }

    func publish(_ record: ContainerRecord, _ action: String, extra: [String: String] = [:]) {
        var attributes = record.labels
        attributes["name"] = record.name
        attributes["image"] = record.spec.image
        attributes.merge(extra) { _, new in new }
        events.publish(EngineEvent(kind: .container, action: action, actorID: record.id, attributes: attributes))
    }

    // MARK: create

    public func create(name requested: String?, spec: ContainerSpec) async throws -> (id: String, warnings: [String]) {
        if let problem = spec.healthcheck?.validate() { throw ShoalError.invalidArgument(problem) }
        // Docker's check and words (its daemon's verifyContainerSettings).
        if let mac = spec.macAddress, (try? MACAddress(parsing: mac)) == nil {
            throw ShoalError.invalidArgument("\(mac) is not a valid mac address")
        }
        try Self.checkUserNamespace(spec.host, remapping: idMapping != nil)
        let requestedName = requested.map(Self.plainName)
        if let requested, let name = requestedName {
            guard Identifier.isValidName(name) else {
                throw ShoalError.invalidArgument(
                    "Invalid container name (\(requested)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
            }
            if let owner = idsByName[name] {
                throw ShoalError.conflict(
                    "Conflict. The container name \"/\(name)\" is already in use by container \"\(owner)\". You have to remove (or rename) that container to be able to reuse that name.")
            }
            if reservedNames.contains(name) {
                throw ShoalError.conflict(
                    "Conflict. The container name \"/\(name)\" is already in use by a container being created. You have to remove (or rename) that container to be able to reuse that name.")
            }
        }
        // Claim the name before the first await: another create may run while this one waits.
        let name = requestedName
            ?? NameGenerator.generate { self.idsByName[$0] != nil || self.reservedNames.contains($0) }
        reservedNames.insert(name)
        defer { reservedNames.remove(name) }
        var spec = try await sandboxes.prepare(spec)
        // Docker records the default masked and read-only paths at create (inspect shows them), unless privileged.
        if !spec.host.privileged {
            if spec.host.maskedPaths == nil { spec.host.maskedPaths = SpecBuilder.hostMaskedPaths }
            if spec.host.readonlyPaths == nil { spec.host.readonlyPaths = SpecBuilder.readonlyPaths }
        }
        let image: ImageRecord
        do {
            image = try await images.image(spec.image)
        } catch let error as ShoalError where error.code == .notFound {
            throw ShoalError.notFound("No such image: \(spec.image)")
        }
        // After the image, as Docker orders its checks: a missing image is reported before a bad option.
        _ = try Self.securityOptions(spec.host)
        spec.host.links = try resolvedLinks(spec.host)
        let imageConfig = image.config
        let entrypoint: [String]
        let cmd: [String]
        if let userEntrypoint = spec.entrypoint {
            // Docker: setting the entrypoint drops the image's CMD.
            entrypoint = userEntrypoint.count == 1 && userEntrypoint[0].isEmpty ? [] : userEntrypoint
            cmd = spec.cmd ?? []
        } else {
            entrypoint = imageConfig.entrypoint ?? []
            cmd = spec.cmd ?? imageConfig.cmd ?? []
        }
        guard !(entrypoint + cmd).isEmpty else {
            throw ShoalError.invalidArgument("No command specified")
        }

        let id = Identifier.random()
        let imageVolumes = (imageConfig.volumes ?? [:]).keys.sorted()
        var createdVolumes: [String] = []
        do {
            let mounts = try await MountResolver(volumes: volumes).resolve(
                spec: spec, imageVolumes: imageVolumes, inherited: try inheritedMounts(spec.host.volumesFrom ?? []),
                created: &createdVolumes)
            var labels = imageConfig.labels ?? [:]
            labels.merge(spec.labels) { _, user in user }
            let exposed = Set((imageConfig.exposedPorts ?? [:]).keys).union(spec.exposedPorts).sorted()
            var record = ContainerRecord(
                id: id, name: name, created: Date(), spec: spec, imageID: image.id.description,
                entrypoint: entrypoint, cmd: cmd, env: Self.mergeEnvironment(imageConfig.env ?? [], spec.env),
                workingDir: spec.workingDir ?? (imageConfig.workingDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/"),
                user: spec.user ?? imageConfig.user ?? "",
                hostname: spec.hostname ?? String(id.prefix(12)),
                stopSignal: spec.stopSignal ?? imageConfig.stopSignal ?? "SIGTERM",
                mounts: mounts, exposedPorts: exposed, labels: labels)
            let imageCheck = imageConfig.healthcheck?.config
            record.healthcheck = spec.healthcheck.map { $0.merged(over: imageCheck) } ?? imageCheck
            record.state.status = .created
            try FileManager.default.createDirectory(atPath: paths.containerDirectory(id), withIntermediateDirectories: true)
            try store.insert(record)
            records[id] = record
            idsByName[name] = id
            publish(record, "create")
            return (id, [])
        } catch {
            for volume in createdVolumes { try? await volumes.removeUnchecked(volume) }
            try? FileManager.default.removeItem(atPath: paths.containerDirectory(id))
            throw error
        }
    }

    /// The image's environment overridden key by key by the user's (`-e KEY=v`; `-e KEY` unsets nothing).
    static func mergeEnvironment(_ image: [String], _ user: [String]) -> [String] {
        var result = image
        for entry in user {
            let key = entry.split(separator: "=", maxSplits: 1).first.map(String.init) ?? entry
            if let index = result.firstIndex(where: { $0 == key || $0.hasPrefix(key + "=") }) {
                result[index] = entry
            } else {
                result.append(entry)
            }
        }
        return result
    }
}
