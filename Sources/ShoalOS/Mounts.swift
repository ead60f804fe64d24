import CShoal
import Glibc
import ShoalCore

/// mount(2) helpers for container root filesystems and volumes (each names the `mount` command it replaces).
public enum Mounts {
    /// mount(2) data is limited to one page; past this the overlay goes through fsconfig("lowerdir+").
    static let optionLimit = 4095

    /// `mount -t overlay overlay -o lowerdir=L1:L2,upperdir=U,workdir=W target`. `lowerDirs[0]` is the top layer.
    /// Without upper/work dirs the mount is read-only. Falls back to the new mount API when the option string
    /// would pass the page-size limit, so the number of layers is not capped.
    public static func overlay(lowerDirs: [String], upperDir: String?, workDir: String?, target: String) throws {
        guard !lowerDirs.isEmpty else { throw ShoalError.invalidArgument("overlay needs at least one lower dir") }
        guard (upperDir == nil) == (workDir == nil) else {
            throw ShoalError.invalidArgument("overlay needs both upperdir and workdir, or neither")
        }
        let readOnly = upperDir == nil
        var options = "lowerdir=" + lowerDirs.joined(separator: ":")
        if let upperDir, let workDir { options += ",upperdir=\(upperDir),workdir=\(workDir)" }
        let needsEscaping = (lowerDirs + [upperDir, workDir].compactMap { $0 }).contains {
            $0.contains(":") || $0.contains(",")
        }
        if options.utf8.count <= optionLimit && !needsEscaping {
            let flags: UInt = readOnly ? cshoal_ms_rdonly() : 0
            guard cshoal_mount("overlay", target, "overlay", flags, options) == 0 else {
                throw ShoalError.system("mount overlay on \(target)")
            }
            return
        }
        let lowers = CStringArray(lowerDirs)
        let result: Int32 = lowers.pointers.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: lowerDirs.count) {
            cshoal_overlay_mount_fsconfig($0, Int32(lowerDirs.count), upperDir, workDir, target, readOnly ? 1 : 0)
        }
        guard result == 0 else { throw ShoalError.system("mount overlay (fsconfig) on \(target)", errno: result) }
    }

    /// `mount --rbind source target` (then `mount -o remount,bind,ro` when read-only).
    public static func bind(source: String, target: String, readOnly: Bool = false, recursive: Bool = true) throws {
        let flags = cshoal_ms_bind() | (recursive ? cshoal_ms_rec() : 0)
        guard cshoal_mount(source, target, nil, flags, nil) == 0 else {
            throw ShoalError.system("bind mount \(source) on \(target)")
        }
        if readOnly {
            let remount = cshoal_ms_bind() | cshoal_ms_remount() | cshoal_ms_rdonly()
            guard cshoal_mount(nil, target, nil, remount, nil) == 0 else {
                let error = ShoalError.system("remount \(target) read-only")
                _ = cshoal_umount_detach(target)
                throw error
            }
        }
    }

    /// `mount -t tmpfs -o nosuid,nodev[,options] tmpfs target`, e.g. options "size=65536k,mode=1777".
    public static func tmpfs(target: String, options: String = "", noExec: Bool = false) throws {
        let flags = cshoal_ms_nosuid() | cshoal_ms_nodev() | (noExec ? cshoal_ms_noexec() : 0)
        guard cshoal_mount("tmpfs", target, "tmpfs", flags, options.isEmpty ? nil : options) == 0 else {
            throw ShoalError.system("mount tmpfs on \(target)")
        }
    }

    /// Whether `path` is on a tmpfs (or ramfs): files there cost no disk inode, journal or block allocation.
    public static func isInMemory(_ path: String) -> Bool {
        let type = cshoal_fs_type(path)
        return type == 0x0102_1994 || type == 0x8584_58F6  // TMPFS_MAGIC, RAMFS_MAGIC
    }

    /// `umount -l target`. Not being mounted is not an error (undo must be idempotent).
    public static func unmount(_ target: String) throws {
        if cshoal_umount_detach(target) == 0 { return }
        if errno == EINVAL || errno == ENOENT { return }
        throw ShoalError.system("umount \(target)")
    }

    /// The flags of the mount `path` is on that a mount made inside a user namespace may not drop (the kernel
    /// locks them: fs/namespace.c), as mount options: a bind of it remounted read-only there must repeat them.
    /// dockerd's getUnprivilegedMountFlags reads the same ones.
    public static func lockedOptions(of path: String) throws -> [String] {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw ShoalError.system("statvfs \(path)") }
        // ST_* values (statvfs(3)), the same bits as the MS_* mount flags.
        let flags: [(UInt, String)] = [(1, "ro"), (2, "nosuid"), (4, "nodev"), (8, "noexec"), (1024, "noatime"),
                                       (2048, "nodiratime"), (4096, "relatime")]
        return flags.filter { info.f_flag & $0.0 == $0.0 }.map(\.1)
    }

    /// Whether `path` is a mount point in our mount namespace. The kernel says so of the path itself (statx's
    /// mount-root attribute, Linux 5.8); /proc/self/mountinfo is read only where it cannot, since reading and
    /// splitting the whole table took a twentieth of the daemon's CPU in a 50-task start.
    public static func isMounted(_ path: String) -> Bool {
        switch cshoal_is_mount_root(path) {
        case 1: return true
        case 0: return false
        case -1 where errno == ENOENT || errno == ENOTDIR: return false
        default: return isListedMountPoint(path)
        }
    }

    /// Whether /proc/self/mountinfo lists `path` as a mount point.
    static func isListedMountPoint(_ path: String) -> Bool {
        let target = normalized(path)
        guard let info = try? FileIO.readString("/proc/self/mountinfo") else { return false }
        for line in info.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 5)
            if fields.count > 4 && unescapeMountInfo(String(fields[4])) == target { return true }
        }
        return false
    }

    /// The mount `path` lies on (the longest mount point that contains it, symlinks resolved) and its optional
    /// mountinfo fields (`shared:N`, `master:N`): what dockerd's getSourceMount reads to check propagation.
    public static func sourceMount(of path: String) -> (mountPoint: String, optional: [String])? {
        var resolved = normalized(path)
        if let real = realpath(path, nil) {
            resolved = String(cString: real)
            free(real)
        }
        guard let info = try? FileIO.readString("/proc/self/mountinfo") else { return nil }
        return sourceMount(of: resolved, mountInfo: info)
    }

    /// The pure core of `sourceMount(of:)`: the last listed of the longest matching mount points wins (a later
    /// mount on the same point covers an earlier one).
    static func sourceMount(of path: String, mountInfo: String) -> (mountPoint: String, optional: [String])? {
        var best: (mountPoint: String, optional: [String])?
        for line in mountInfo.split(separator: "\n") {
            // id parent major:minor root mountpoint options [optional fields…] - fstype source superoptions
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count > 6, let separator = fields.firstIndex(of: "-"), separator >= 6 else { continue }
            let point = unescapeMountInfo(fields[4])
            let contains = point == "/" || path == point || path.hasPrefix(point + "/")
            guard contains, point.count >= (best?.mountPoint.count ?? 0) else { continue }
            best = (point, Array(fields[6..<separator]))
        }
        return best
    }

    static func normalized(_ path: String) -> String {
        var result = path
        while result.count > 1 && result.hasSuffix("/") { result.removeLast() }
        return result
    }

    /// mountinfo escapes space, tab, newline and backslash as \ooo octal.
    static func unescapeMountInfo(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        let utf8 = Array(field.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\"), index + 3 < utf8.count,
               let value = UInt8(String(decoding: utf8[(index + 1)...(index + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
