import Glibc

/// A cgroup path under every hierarchy mounted below /sys/fs/cgroup, whatever their names: v1 controllers mounted
/// one per directory (`cpu` and `cpuacct` apart, as on this host) or joined (`cpu,cpuacct`), the named `systemd`
/// one, and v2's `unified` (FIELD-NOTES: hybrid mode).
public enum CgroupHierarchies {
    public static let root = "/sys/fs/cgroup"

    /// Removes `path` (as `/shoal/ID`) under every hierarchy (rmdir: an empty cgroup only). Best effort.
    public static func remove(path: String) {
        for hierarchy in names() { rmdir(root + "/" + hierarchy + path) }
    }

    /// Whether a cgroup directory for `path` exists under any hierarchy.
    public static func exists(path: String) -> Bool {
        names().contains { FileIO.exists(root + "/" + $0 + path) }
    }

    private static func names() -> [String] {
        guard let dir = opendir(root) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        return names
    }
}
