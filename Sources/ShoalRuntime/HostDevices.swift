import Glibc

/// The host's device nodes, for `--privileged` (Docker gives a privileged container every device of the host).
public enum HostDevices {
    public static func list(root: String = "/dev") -> [OCISpec.Device] {
        var result: [OCISpec.Device] = []
        walk(root, into: &result)
        return result.sorted { $0.path < $1.path }
    }

    private static func walk(_ dir: String, into result: inout [OCISpec.Device]) {
        guard let handle = opendir(dir) else { return }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            let path = dir + "/" + name
            // /dev/pts and /dev/shm, /dev/mqueue are the container's own; console is set up by runc.
            if ["/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/console", "/dev/ptmx"].contains(path) { continue }
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            let kind = info.st_mode & S_IFMT
            if kind == S_IFDIR {
                walk(path, into: &result)
            } else if kind == S_IFCHR || kind == S_IFBLK {
                let rdev = info.st_rdev
                let major = Int64(((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfff))
                let minor = Int64((rdev & 0xff) | ((rdev >> 12) & ~0xff))
                result.append(.init(path: path, type: kind == S_IFCHR ? "c" : "b", major: major, minor: minor,
                                    fileMode: UInt32(info.st_mode & 0o7777), uid: info.st_uid, gid: info.st_gid))
            }
        }
    }
}
