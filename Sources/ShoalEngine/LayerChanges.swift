import Foundation
import Glibc
import ShoalModel
import ShoalOS

/// What a container's overlay upper directory changed against its image's layers (`docker diff`), read the way
/// overlayfs wrote it: a character device 0:0 is a deleted path (a whiteout); a directory marked opaque hides what
/// the layers below had there; anything else is added when no lower layer has the path, and modified when one
/// does; a directory the layers have is reported when something under it is. Sorted by path. The places the
/// runtime mounts over (Docker keeps them in an init layer under the container's own) never count.
enum LayerChanges {
    /// Docker's init layer: mount targets overlayfs may have made in the upper directory.
    static let initPaths: Set<String> = ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/etc/mtab", "/.dockerenv",
                                         "/dev", "/dev/console", "/dev/pts", "/dev/shm", "/proc", "/sys"]

    /// `upper`: the container's upper directory; `lowers`: the image's layer directories, top first.
    static func compute(upper: String, lowers: [String]) -> [FilesystemChange] {
        var changes: [FilesystemChange] = []
        walk(upper: upper, relative: "", lowers: lowers, into: &changes)
        return changes.sorted { $0.path < $1.path }
    }

    private static func walk(upper: String, relative: String, lowers: [String], into changes: inout [FilesystemChange]) {
        let directory = upper + relative
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names {
            let path = relative + "/" + name
            var info = stat()
            guard lstat(upper + path, &info) == 0 else { continue }
            let type = info.st_mode & S_IFMT
            if type == S_IFCHR && info.st_rdev == 0 {
                if existsBelow(path, lowers) { changes.append(FilesystemChange(path: path, kind: .deleted)) }
                continue
            }
            guard existsBelow(path, lowers) else {
                if initPaths.contains(path) { continue }  // a mount target (see mountTargets)
                // New here: the path and nothing under it (Docker lists a new directory's entries too).
                changes.append(FilesystemChange(path: path, kind: .added))
                if type == S_IFDIR { addAll(upper: upper, relative: path, into: &changes) }
                continue
            }
            guard type == S_IFDIR else {
                changes.append(FilesystemChange(path: path, kind: .modified))
                continue
            }
            var below: [FilesystemChange] = []
            // An opaque directory replaced the lower one whole: what the layers had under it is gone.
            if isOpaque(upper + path) { deletedBelow(path, lowers: lowers, upper: upper, into: &below) }
            walk(upper: upper, relative: path, lowers: lowers, into: &below)
            if !below.isEmpty { changes.append(FilesystemChange(path: path, kind: .modified)) }
            changes += below
        }
    }

    private static func addAll(upper: String, relative: String, into changes: inout [FilesystemChange]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: upper + relative) else { return }
        for name in names {
            let path = relative + "/" + name
            changes.append(FilesystemChange(path: path, kind: .added))
            var info = stat()
            if lstat(upper + path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
                addAll(upper: upper, relative: path, into: &changes)
            }
        }
    }

    /// The entries the layers had under an opaque directory that the upper one does not have again.
    private static func deletedBelow(_ path: String, lowers: [String], upper: String,
                                     into changes: inout [FilesystemChange]) {
        var names: Set<String> = []
        for lower in lowers {
            names.formUnion((try? FileManager.default.contentsOfDirectory(atPath: lower + path)) ?? [])
        }
        for name in names where !FileManager.default.fileExists(atPath: upper + path + "/" + name) {
            changes.append(FilesystemChange(path: path + "/" + name, kind: .deleted))
        }
    }

    /// The init paths none of `lowers` has: where the runtime's mount targets in the upper directory are no change
    /// of the container's.
    static func mountTargets(absentFrom lowers: [String]) -> [String] {
        initPaths.filter { !existsBelow($0, lowers) }.sorted()
    }

    private static func existsBelow(_ path: String, _ lowers: [String]) -> Bool {
        var info = stat()
        return lowers.contains { lstat($0 + path, &info) == 0 }
    }

    private static func isOpaque(_ path: String) -> Bool {
        FileIO.extendedAttribute(path, "trusted.overlay.opaque") == Array("y".utf8)
    }
}
