import Foundation
import Glibc
import ShoalOS

/// The cgroup v1 hierarchies (this host runs v1 controllers in hybrid mode, FIELD-NOTES).
enum CgroupV1 {
    static var root: String { CgroupHierarchies.root }

    /// Controller name → cgroup path, from /proc/PID/cgroup ("4:cpu,cpuacct:/shoal/ID").
    static func paths(pid: Int32) throws -> [String: String] {
        guard let text = try FileIO.readString("/proc/\(pid)/cgroup") else { return [:] }
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, !fields[1].isEmpty else { continue }
            let hierarchy = String(fields[1])
            for controller in hierarchy.split(separator: ",") {
                // The mount dir is either the joined name or one per controller (with symlinks).
                let joined = root + "/" + hierarchy
                let single = root + "/" + controller
                let base = FileIO.exists(joined) ? joined : single
                result[String(controller)] = base + String(fields[2])
            }
        }
        return result
    }

    static func readUInt(_ path: String) -> UInt64? {
        guard let text = try? FileIO.readString(path) else { return nil }
        return UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
