import Glibc
import ShoalCore

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
            if info.st_mode & S_IFMT == S_IFDIR {
                walk(path, into: &result)
            } else if let device = node(path) {
                result.append(device)
            }
        }
    }

    /// The device node at `path` (not following a symlink), named `path`; nil when it is none.
    public static func node(_ path: String) -> OCISpec.Device? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFCHR || kind == S_IFBLK else { return nil }
        let rdev = info.st_rdev
        let major = Int64(((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfff))
        let minor = Int64((rdev & 0xff) | ((rdev >> 12) & ~0xff))
        return .init(path: path, type: kind == S_IFCHR ? "c" : "b", major: major, minor: minor,
                     fileMode: UInt32(info.st_mode & 0o7777), uid: info.st_uid, gid: info.st_gid)
    }

    /// `--device HOST:CONTAINER:PERMISSIONS`: the node at `host` as `inside`, or every node under the directory
    /// `host` at the same place under `inside`; with the device cgroup rules that let the container use them.
    /// Docker's error when there is no device there.
    public static func mapped(_ host: String, as inside: String, permissions: String) throws
        -> (devices: [OCISpec.Device], rules: [OCISpec.DeviceRule])
    {
        var info = stat()
        var found: [OCISpec.Device] = []
        if stat(host, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            found = list(root: host).map { device in
                var device = device
                device.path = inside + device.path.dropFirst(host.count)
                return device
            }
        } else if let resolved = realpath(host, nil) {
            defer { free(resolved) }
            if var device = node(String(cString: resolved)) {
                device.path = inside
                found = [device]
            } else {
                throw ShoalError.invalidArgument(
                    "error gathering device information while adding custom device \"\(host)\": not a device node")
            }
        } else {
            throw ShoalError.invalidArgument("error gathering device information while adding custom device "
                                             + "\"\(host)\": no such file or directory")
        }
        let rules = found.map {
            OCISpec.DeviceRule(allow: true, type: $0.type, major: $0.major, minor: $0.minor, access: permissions)
        }
        return (found, rules)
    }
}
