import Foundation
import ShoalEtcd
import ShoalManager
import ShoalOS

/// Removal of everything a stopped daemon left on the host: its containers (runc state, conmon processes by the
/// pid files under its exec root, cgroups), the mounts under its roots (rootfs overlays, pinned namespaces) and
/// the roots themselves. Used by `cluster down` and by the test fixtures.
public enum DaemonState {
    public static func remove(execRoot: String, dataRoot: String) {
        // A swarm manager's etcd member outlives a daemon that was killed.
        EtcdSupervisor.stopLeftoverMember(dataDirectory: SwarmPaths(dataRoot: dataRoot).etcdData)
        let runcRoot = execRoot + "/runc"
        let known = (try? FileManager.default.contentsOfDirectory(atPath: runcRoot)) ?? []
        for id in known {
            runSync("/usr/bin/runc", ["--root", runcRoot, "delete", "--force", id])
        }
        let persist = execRoot + "/runtime/containers"
        let conmons = (try? FileManager.default.contentsOfDirectory(atPath: persist)) ?? []
        for id in conmons {
            if let text = try? String(contentsOfFile: "\(persist)/\(id)/conmon.pid", encoding: .utf8),
               let conmon = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), conmon > 0 {
                kill(conmon, SIGKILL)
            }
        }
        // What runc's delete left (a container whose processes were still going): under every hierarchy, by name.
        for id in Set(known + conmons) { CgroupHierarchies.remove(path: "/shoal/\(id)") }
        for mount in mounts(under: [dataRoot, execRoot]).reversed() {
            umount2(mount, Int32(MNT_DETACH))
        }
        try? FileManager.default.removeItem(atPath: execRoot)
        try? FileManager.default.removeItem(atPath: dataRoot)
    }

    /// Mount points below the given prefixes, from /proc/self/mountinfo, in mount order. Read to EOF: a procfs
    /// file reports size 0, and a single read stops at the first page.
    public static func mounts(under prefixes: [String]) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/mountinfo") else { return [] }
        defer { try? handle.close() }
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        return text.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            let point = String(fields[4]).replacingOccurrences(of: "\\040", with: " ")
            return prefixes.contains(where: { point.hasPrefix($0 + "/") || point == $0 }) ? point : nil
        }
    }

    /// Stops a process we started, by pid: SIGTERM, then SIGKILL after `grace` seconds.
    public static func stop(pid: Int32, grace: TimeInterval = 5) {
        guard pid > 0, ProcessWatch.isAlive(pid) else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline, isRunning(pid) { usleep(25_000) }
        if isRunning(pid) { kill(pid, SIGKILL) }
        for _ in 0..<40 where isRunning(pid) { usleep(25_000) }
    }

    /// Alive and not a zombie.
    static func isRunning(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return !stat.contains(") Z ")
    }

    static func runSync(_ executable: String, _ arguments: [String]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
        process.waitUntilExit()
    }
}
