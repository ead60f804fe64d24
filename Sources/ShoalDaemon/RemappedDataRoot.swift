import Foundation
import Glibc
import ShoalCore
import ShoalRuntime

/// dockerd's data root with `--userns-remap` (setupDaemonRoot): everything the daemon keeps (records, layers
/// chowned for the remapping, volumes, containers) lives in `<data-root>/<UID>.<GID>`, a root of its own per
/// remapping, so images unpacked for one mapping never serve another. The base is 0711 and the remapped root 0710
/// owned by root and the remapped group, so that the containers' root can reach their layers and nothing more.
enum RemappedDataRoot {
    static func prepare(base: String, remap: RemappedRoot) throws -> String {
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        guard chmod(base, 0o711) == 0 else { throw failure("cannot set the permissions of \(base)") }
        let root = base + "/" + remap.directoryName
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        guard chown(root, 0, remap.mapping.rootGID) == 0, chmod(root, 0o710) == 0 else {
            throw failure("Cannot create daemon root: \(root)")
        }
        var directory = URL(fileURLWithPath: root).deletingLastPathComponent().path
        while directory != "/" && !directory.isEmpty {
            guard canTraverse(directory, uid: remap.mapping.rootUID, gid: remap.mapping.rootGID) else {
                throw ShoalError.invalidArgument("a subdirectory in your graphroot path (\(root)) restricts access to the remapped root uid/gid; please fix by allowing 'o+x' permissions on existing directories")
            }
            directory = URL(fileURLWithPath: directory).deletingLastPathComponent().path
        }
        return root
    }

    /// Whether a process of `uid`/`gid` may search `path` (idtools.CanAccess).
    static func canTraverse(_ path: String, uid: UInt32, gid: UInt32) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        if info.st_mode & 0o001 != 0 { return true }
        if info.st_gid == gid && info.st_mode & 0o010 != 0 { return true }
        return info.st_uid == uid && info.st_mode & 0o100 != 0
    }

    private static func failure(_ message: String) -> ShoalError {
        ShoalError.internalError(message + ": " + String(cString: strerror(errno)))
    }
}
