import Foundation
import ShoalCore
import ShoalModel

/// Local-driver volumes: a directory per volume under `<data-root>/volumes/<name>/_data`, recorded in the
/// engine store. Whether a volume is in use is answered by the container service (`usage`).
public actor VolumeService {
    private let store: EngineStore
    private let root: String
    private let events: EventBus
    private var volumes: [String: VolumeRecord] = [:]
    /// `--userns-remap`: new volumes' `_data` belongs to the containers' root (dockerd's local driver does this).
    private let idMapping: IDMapping?
    /// Container IDs using each volume; set by the engine once the container service exists.
    private var usage: @Sendable () async -> [String: [String]] = { [:] }

    public init(store: EngineStore, root: String, events: EventBus, idMapping: IDMapping? = nil) throws {
        self.store = store
        self.root = root
        self.events = events
        self.idMapping = idMapping
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for volume in try store.volumes() { volumes[volume.name] = volume }
    }

    public func setUsage(_ usage: @escaping @Sendable () async -> [String: [String]]) {
        self.usage = usage
    }

    /// Creates a volume, or returns the existing one of that name (Docker's create is idempotent).
    public func create(name: String?, driver: String? = nil, labels: [String: String] = [:],
                       options: [String: String] = [:], anonymous: Bool = false) throws -> VolumeRecord {
        if let driver, !driver.isEmpty, driver != "local" {
            throw ShoalError.notFound("plugin \"\(driver)\" not found")
        }
        if !options.isEmpty {
            throw ShoalError.invalidArgument("options are not supported by the local driver yet: \(options.keys.sorted().joined(separator: ", "))")
        }
        let name = name ?? Identifier.random()
        guard Identifier.isValidName(name) else {
            throw ShoalError.invalidArgument(
                "create \(name): \"\(name)\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path")
        }
        if let existing = volumes[name] { return existing }
        let directory = "\(root)/\(name)/_data"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if let idMapping { try ContainerService.chownToRoot([directory], idMapping) }
            let record = VolumeRecord(name: name, mountpoint: directory, created: Date(), labels: labels,
                                      options: options, anonymous: anonymous)
            try store.upsert(record)
            volumes[name] = record
            events.publish(EngineEvent(kind: .volume, action: "create", actorID: name, attributes: ["driver": "local"]))
            return record
        } catch {
            try? FileManager.default.removeItem(atPath: "\(root)/\(name)")
            throw ShoalError.wrap(error, "create volume \(name)")
        }
    }

    public func get(_ name: String) throws -> VolumeRecord {
        guard let volume = volumes[name] else { throw ShoalError.notFound("get \(name): no such volume") }
        return volume
    }

    public func list() -> [VolumeRecord] { Array(volumes.values) }

    public func remove(_ name: String, force: Bool) async throws {
        guard volumes[name] != nil else {
            if force { return }
            throw ShoalError.notFound("get \(name): no such volume")
        }
        if let users = await usage()[name], !users.isEmpty {
            throw ShoalError.conflict("remove \(name): volume is in use - [\(users.joined(separator: ", "))]")
        }
        try removeUnchecked(name)
    }

    /// Removes a volume the caller knows is unused (a container's anonymous volume on `rm -v`).
    func removeUnchecked(_ name: String) throws {
        try store.deleteVolume(name: name)
        volumes[name] = nil
        try? FileManager.default.removeItem(atPath: "\(root)/\(name)")
        events.publish(EngineEvent(kind: .volume, action: "destroy", actorID: name, attributes: ["driver": "local"]))
    }

    /// `docker volume prune`: unused anonymous volumes, or all unused ones with `all`.
    public func prune(all: Bool, labels: [String]) async throws -> (deleted: [String], spaceReclaimed: Int64) {
        let inUse = await usage()
        var deleted: [String] = []
        var space: Int64 = 0
        for volume in volumes.values.sorted(by: { $0.name < $1.name })
        where (inUse[volume.name] ?? []).isEmpty && (all || volume.anonymous) && Self.matches(labels, volume.labels) {
            space += DirectorySize.of(volume.mountpoint)
            try removeUnchecked(volume.name)
            deleted.append(volume.name)
        }
        return (deleted, space)
    }

    public func sizes() -> [String: Int64] {
        volumes.mapValues { DirectorySize.of($0.mountpoint) }
    }

    private static func matches(_ filters: [String], _ labels: [String: String]) -> Bool {
        filters.allSatisfy { filter in
            if let eq = filter.firstIndex(of: "=") {
                return labels[String(filter[..<eq])] == String(filter[filter.index(after: eq)...])
            }
            return labels[filter] != nil
        }
    }
}

/// Disk usage of a directory tree (allocated blocks, as `du` counts), without following symlinks.
enum DirectorySize {
    static func of(_ path: String) -> Int64 {
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total: Int64 = 0
        while let entry = enumerator.nextObject() as? String {
            var info = stat()
            if lstat(path + "/" + entry, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
                total += Int64(info.st_size)
            }
        }
        return total
    }
}
