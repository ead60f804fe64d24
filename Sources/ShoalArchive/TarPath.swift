import ShoalCore
#if canImport(Glibc)
import Glibc
#endif

/// Path rules for archive entries: names are cleaned lexically, absolute names are taken as relative to the root
/// (as Docker does), and a name that climbs above the root is refused.
public enum TarPath {
    /// The cleaned, root-relative form of an entry name ("" for the root itself), or nil if it escapes the root.
    public static func clean(_ name: String) -> String? {
        var parts: [Substring] = []
        for part in name.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                if parts.isEmpty { return nil }
                parts.removeLast()
            default: parts.append(part)
            }
        }
        return parts.joined(separator: "/")
    }

    /// Resolves `path` inside `root` the way the kernel's RESOLVE_IN_ROOT does: symlinks are followed, but absolute
    /// targets start at `root` and `..` stops at it. The result is an absolute host path below `root`. Used on
    /// trees this process unpacked itself (a `docker save` tarball), which nobody else changes meanwhile.
    public static func resolve(_ path: String, inRoot root: String) throws -> String {
        var pending: [Substring] = path.split(separator: "/").reversed()
        var resolved: [Substring] = []
        var links = 0
        while let part = pending.popLast() {
            if part == "." { continue }
            if part == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            let candidate = root + "/" + (resolved + [part]).joined(separator: "/")
            var info = stat()
            if lstat(candidate, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
                links += 1
                guard links <= 40 else { throw ShoalError.invalidArgument("too many levels of symbolic links: \(path)") }
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(candidate, &buffer, buffer.count - 1)
                guard n >= 0 else { throw ShoalError.invalidArgument("cannot read link \(candidate)") }
                let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if target.hasPrefix("/") { resolved.removeAll() }
                pending.append(contentsOf: target.split(separator: "/").reversed())
                continue
            }
            resolved.append(part)
        }
        return resolved.isEmpty ? root : root + "/" + resolved.joined(separator: "/")
    }

    /// Throws if any directory between `root` and `relative` (exclusive) is a symlink or not a directory:
    /// writing there would go wherever the link points.
    static func checkParents(of relative: String, inRoot root: String, entry: String) throws {
        let parts = relative.split(separator: "/")
        guard parts.count > 1 else { return }
        var path = root
        for part in parts.dropLast() {
            path += "/" + part
            var info = stat()
            guard lstat(path, &info) == 0 else { return }  // missing: it will be created as a directory
            if info.st_mode & S_IFMT == S_IFLNK {
                throw ShoalError.invalidArgument("layer entry would be written through a symlink: \(entry)")
            }
            if info.st_mode & S_IFMT != S_IFDIR {
                throw ShoalError.invalidArgument("layer entry has a non-directory parent: \(entry)")
            }
        }
    }
}
