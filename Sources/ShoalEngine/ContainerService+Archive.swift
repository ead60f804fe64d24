import Foundation
import ShoalArchive
import ShoalCore
import ShoalModel
import ShoalOS
#if canImport(Glibc)
import Glibc
#endif

/// What `docker cp` learns about a path in a container (`HEAD /containers/{id}/archive`).
public struct ContainerPathStat: Sendable, Equatable {
    public var name: String
    public var size: Int64
    /// st_mode: file type bits and permissions.
    public var mode: UInt32
    public var mtime: Date
    /// For a symlink: the container path it finally resolves to (as Docker reports it); "" otherwise.
    public var linkTarget: String
}

extension ContainerService {
    // MARK: docker cp

    /// `docker cp` stat: the path itself (a final symlink is not followed unless the path ends in `/` or `/.`).
    public func statPath(_ ref: String, path: String) async throws -> ContainerPathStat {
        try await withContainerFilesystem(ref) { filesystem in
            try await archiveIO { try filesystem.pathStat(path, ref: ref) }
        }
    }

    /// `docker cp CONTAINER:path …`: writes a tar of `path` to the file `destination`; its top entry is named
    /// after the last element of `path`, as Docker names it.
    public func archivePath(_ ref: String, path: String, to destination: String) async throws -> ContainerPathStat {
        let mapping = userNamespace(try resolve(ref).spec.host)
        return try await withContainerFilesystem(ref) { filesystem in
            try await archiveIO {
                let stat = try filesystem.pathStat(path, ref: ref)
                let host = try filesystem.resolve(path, followLast: ContainerFilesystem.followsLast(path)).host
                let writer = try ArchiveWriter(path: destination)
                writer.idMapping = mapping
                try writer.addTree(at: host, as: stat.name, dotSlashChildren: stat.name == ".")
                try writer.finish()
                return stat
            }
        }
    }

    /// `docker cp … CONTAINER:path`: unpacks the tar at `source` into the directory `path` (a final symlink is
    /// followed, in the container's scope). Files are owned by the container's root, as without `cp -a`.
    public func extractArchive(_ ref: String, path: String, from source: String, noOverwriteDirNonDir: Bool)
        async throws {
        let owner = userNamespace(try resolve(ref).spec.host).map { (uid: $0.rootUID, gid: $0.rootGID) }
        try await withContainerFilesystem(ref) { filesystem in
            try await archiveIO {
                let target = try filesystem.resolve(path, followLast: true)
                var info = Glibc.stat()
                guard lstat(target.host, &info) == 0 else {
                    throw ContainerFilesystem.notFound(path, ref: ref)
                }
                guard info.st_mode & S_IFMT == S_IFDIR else {
                    throw ShoalError.invalidArgument("extraction point is not a directory")
                }
                if let mount = target.mount {
                    if mount.readOnly { throw ShoalError.invalidArgument("mounted volume is marked read-only") }
                } else if filesystem.readOnlyRootfs {
                    throw ShoalError.invalidArgument("container rootfs is marked read-only")
                }
                if noOverwriteDirNonDir {
                    try ContainerFilesystem.checkNoTypeChange(archive: source, into: target.host,
                                                              containerPath: "/" + target.parts.joined(separator: "/"))
                }
                try Extraction.extract(archiveAt: source, into: target.host,
                                       options: .init(overlayWhiteouts: false, preserveOwnership: false, owner: owner))
            }
        }
    }

    /// Runs `body` holding the container's lock with its root filesystem mounted: a stopped container's overlay
    /// is mounted for the call (as start mounts it) and unmounted after.
    func withContainerFilesystem<T: Sendable>(
        _ ref: String, _ body: (ContainerFilesystem) async throws -> T) async throws -> T {
        let id = try resolve(ref).id
        return try await locks.withLock(id) {
            guard let record = records[id] else { throw ShoalError.notFound("No such container: \(ref)") }
            if record.state.status == .removing || record.state.status == .dead {
                throw ShoalError.conflict("container \(id) is marked for removal")
            }
            let rootfs = paths.rootfs(id)
            var mountedHere = false
            if !Mounts.isMounted(rootfs) {
                for dir in [paths.upperDirectory(id), paths.workDirectory(id), rootfs] {
                    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                }
                let lower = try await images.layerDirectories(for: record.imageID)
                try Mounts.overlay(lowerDirs: lower, upperDir: paths.upperDirectory(id),
                                   workDir: paths.workDirectory(id), target: rootfs)
                mountedHere = true
            }
            defer { if mountedHere { try? Mounts.unmount(rootfs) } }
            return try await body(ContainerFilesystem(record: record, rootfs: rootfs,
                                                      directory: paths.containerDirectory(id)))
        }
    }
}

/// Runs blocking file-system work (tar writing, extraction) on a Dispatch thread, off the actor and off the
/// cooperative pool.
private func archiveIO<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// A container's file tree as its processes see it, mapped to host paths: the rootfs, with binds and volumes
/// (and the sandbox's hosts, resolv.conf, hostname) at their container paths. Paths are resolved the way the
/// kernel's RESOLVE_IN_ROOT does: symlinks are followed in the container's scope, absolute targets start at the
/// container's root and `..` stops there, so no path ever leads out of the container's files.
struct ContainerFilesystem: Sendable {
    struct Mount: Sendable {
        var destination: [String]
        var source: String
        var readOnly: Bool
    }

    let rootfs: String
    let mounts: [Mount]
    let readOnlyRootfs: Bool

    init(record: ContainerRecord, rootfs: String, directory: String) {
        self.rootfs = rootfs
        readOnlyRootfs = record.spec.host.readonlyRootfs
        var mounts: [Mount] = []
        // The sandbox files the provider wrote into the container's directory (NetworkSandboxProvider.attach).
        for name in ["hosts", "resolv.conf", "hostname"] where FileManager.default.fileExists(atPath: directory + "/" + name) {
            mounts.append(Mount(destination: ["etc", name], source: directory + "/" + name, readOnly: false))
        }
        for mount in record.mounts where mount.kind == .bind || mount.kind == .volume {
            let destination = Self.components(mount.destination)
            mounts.removeAll { $0.destination == destination }
            mounts.append(Mount(destination: destination, source: mount.source, readOnly: mount.readOnly))
        }
        self.mounts = mounts
    }

    /// Lexically cleaned components of an absolute container path (`..` cannot climb above `/`).
    static func components(_ path: String) -> [String] {
        var parts: [String] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(String(part))
        }
        return parts
    }

    /// Docker follows the last element only when the path ends in `/` or `/.`.
    static func followsLast(_ path: String) -> Bool {
        path.hasSuffix("/") || path.hasSuffix("/.") || path == "."
    }

    /// The name Docker gives a path in stat and archive answers: `filepath.Base` of the cleaned absolute path,
    /// keeping a trailing `/.` (so `dir/.` archives the directory's contents).
    static func baseName(_ path: String) -> String {
        if path.hasSuffix("/.") || path == "." { return "." }
        return components(path).last ?? "/"
    }

    static func notFound(_ path: String, ref: String) -> ShoalError {
        ShoalError.notFound("Could not find the file \(path) in container \(ref)")
    }

    /// The host path of a resolved (symlink-free) container path, and the mount it lies in, if any.
    func hostPath(_ parts: [String]) -> (host: String, mount: Mount?) {
        var best: Mount?
        for mount in mounts where mount.destination.count <= parts.count
            && Array(parts.prefix(mount.destination.count)) == mount.destination {
            if best == nil || mount.destination.count > best!.destination.count { best = mount }
        }
        if let best {
            let rest = parts.dropFirst(best.destination.count)
            return (rest.isEmpty ? best.source : best.source + "/" + rest.joined(separator: "/"), best)
        }
        return (parts.isEmpty ? rootfs : rootfs + "/" + parts.joined(separator: "/"), nil)
    }

    /// Resolves a container path to its host path. Every element but the last is followed if it is a symlink;
    /// the last too when `followLast`.
    func resolve(_ path: String, followLast: Bool) throws -> (parts: [String], host: String, mount: Mount?) {
        var parts = Self.components(path)
        var last: String?
        if !followLast, !parts.isEmpty { last = parts.removeLast() }
        var resolved = try follow(parts)
        if let last { resolved.append(last) }
        let (host, mount) = hostPath(resolved)
        return (resolved, host, mount)
    }

    /// Walks `parts` from the container's root, replacing each symlink met by its target.
    private func follow(_ parts: [String]) throws -> [String] {
        var pending: [String] = parts.reversed()
        var resolved: [String] = []
        var links = 0
        while let part = pending.popLast() {
            if part == "." { continue }
            if part == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            let candidate = resolved + [part]
            // A mount point is what is mounted there, never a link to follow.
            if !mounts.contains(where: { $0.destination == candidate }) {
                let host = hostPath(candidate).host
                var info = Glibc.stat()
                if lstat(host, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
                    links += 1
                    guard links <= 40 else {
                        throw ShoalError.invalidArgument("too many levels of symbolic links")
                    }
                    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                    let count = readlink(host, &buffer, buffer.count - 1)
                    guard count >= 0 else { throw ShoalError.internalError("cannot read link \(host)") }
                    let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    if target.hasPrefix("/") { resolved.removeAll() }
                    pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
                    continue
                }
            }
            resolved.append(part)
        }
        return resolved
    }

    /// Docker's `noOverwriteDirNonDir` (the CLI always sets it): an entry may not replace a directory with a
    /// non-directory or the other way round. Checked before anything is written.
    static func checkNoTypeChange(archive: String, into directory: String, containerPath: String) throws {
        let reader = try ArchiveReader(path: archive)
        while let entry = try reader.next() {
            guard let relative = TarPath.clean(entry.path), !relative.isEmpty else { continue }
            var info = Glibc.stat()
            guard lstat(directory + "/" + relative, &info) == 0 else { continue }
            let existing = (containerPath == "/" ? "" : containerPath) + "/" + relative
            let isDirectory = info.st_mode & S_IFMT == S_IFDIR
            if isDirectory && entry.kind != .directory {
                throw ShoalError.invalidArgument(
                    "cannot overwrite directory \"\(existing)\" with non-directory \"\(entry.path)\"")
            }
            if !isDirectory && entry.kind == .directory {
                throw ShoalError.invalidArgument(
                    "cannot overwrite non-directory \"\(existing)\" with directory \"\(entry.path)\"")
            }
        }
    }

    /// lstat of the path as Docker's statPath reports it.
    func pathStat(_ path: String, ref: String) throws -> ContainerPathStat {
        let target = try resolve(path, followLast: Self.followsLast(path))
        var info = Glibc.stat()
        guard lstat(target.host, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { throw Self.notFound(path, ref: ref) }
            // The client's path, not the daemon, is at fault (a name over NAME_MAX or PATH_MAX): 400, not 500.
            if errno == ENAMETOOLONG { throw ShoalError.invalidArgument("cannot stat \(path.prefix(100))…: file name too long") }
            throw ShoalError.internalError("cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        var linkTarget = ""
        if info.st_mode & S_IFMT == S_IFLNK {
            linkTarget = "/" + (try resolve(path, followLast: true).parts.joined(separator: "/"))
        }
        let mtime = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
        return ContainerPathStat(name: Self.baseName(path), size: Int64(info.st_size), mode: UInt32(info.st_mode),
                                 mtime: mtime, linkTarget: linkTarget)
    }
}
