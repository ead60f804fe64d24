import Foundation
import Glibc
import ShoalCore
import ShoalOS

/// Resource usage of a running container, from its cgroup v1 files, in the units Docker's stats JSON uses.
public struct ContainerStats: Sendable, Equatable {
    /// Total CPU time, nanoseconds (cpuacct.usage).
    public var cpuTotalUsage: UInt64
    public var perCPUUsage: [UInt64]
    /// User/kernel CPU time, nanoseconds (cpuacct.stat ticks converted).
    public var cpuUserUsage: UInt64
    public var cpuKernelUsage: UInt64
    /// Host CPU time of all CPUs, nanoseconds (/proc/stat), for the percentage.
    public var systemCPUUsage: UInt64
    public var onlineCPUs: Int
    public var throttlingPeriods: UInt64
    public var throttledPeriods: UInt64
    public var throttledTime: UInt64
    public var memoryUsage: UInt64
    public var memoryMaxUsage: UInt64
    public var memoryLimit: UInt64
    /// memory.stat (cache, rss, total_inactive_file …).
    public var memoryStats: [String: UInt64]
    public var pidsCurrent: UInt64
    /// nil when unlimited.
    public var pidsLimit: UInt64?
    /// The interfaces of the container's network namespace (loopback left out).
    public var networks: [String: InterfaceCounters] = [:]
    /// blkio's bytes and operations per device (`io_service_bytes_recursive`, `io_serviced_recursive`).
    public var ioServiceBytes: [BlockIOCounter] = []
    public var ioServiced: [BlockIOCounter] = []
}

extension ConmonRuntime {
    /// Reads the cgroup v1 controllers of the container's init process (found through /proc/PID/cgroup, so it
    /// needs nothing remembered): memory, cpuacct, cpu, pids, blkio; and its network namespace's interfaces.
    public func stats(id: String) async throws -> ContainerStats {
        let state = try await state(id: id)
        guard state.pid > 0, state.status != .stopped else {
            throw ShoalError.invalidState("container \(id) is not running")
        }
        return try CgroupStatsReader.read(pid: state.pid)
    }
}

enum CgroupStatsReader {
    static func read(pid: Int32) throws -> ContainerStats {
        let groups = try CgroupV1.paths(pid: pid)
        func value(_ controller: String, _ file: String) -> UInt64 {
            groups[controller].flatMap { CgroupV1.readUInt($0 + "/" + file) } ?? 0
        }
        func keyValues(_ controller: String, _ file: String) -> [String: UInt64] {
            guard let dir = groups[controller], let text = try? FileIO.readString(dir + "/" + file) else { return [:] }
            var result: [String: UInt64] = [:]
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 2, let number = UInt64(parts[1]) { result[String(parts[0])] = number }
            }
            return result
        }
        let ticks = UInt64(sysconf(Int32(_SC_CLK_TCK)))
        let nanosPerTick = 1_000_000_000 / max(ticks, 1)
        let cpuacct = keyValues("cpuacct", "cpuacct.stat")
        let percpu = groups["cpuacct"].flatMap { try? FileIO.readString($0 + "/cpuacct.usage_percpu") }?
            .split(separator: " ").compactMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? []
        let throttling = keyValues("cpu", "cpu.stat")
        let pidsMax = groups["pids"].flatMap { try? FileIO.readString($0 + "/pids.max") }?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // runc's choice: the CFQ/BFQ file when the scheduler fills it, else the throttle layer's.
        func blkio(_ name: String) -> [BlockIOCounter] {
            for file in ["blkio.\(name)", "blkio.throttle.\(name)"] {
                let entries = groups["blkio"].flatMap { try? FileIO.readString($0 + "/" + file) }
                    .map(BlockIOCounter.parse(blkio:)) ?? []
                if !entries.isEmpty { return entries }
            }
            return []
        }
        var stats = ContainerStats(
            cpuTotalUsage: value("cpuacct", "cpuacct.usage"),
            perCPUUsage: percpu,
            cpuUserUsage: (cpuacct["user"] ?? 0) * nanosPerTick,
            cpuKernelUsage: (cpuacct["system"] ?? 0) * nanosPerTick,
            systemCPUUsage: systemCPUUsage(nanosPerTick: nanosPerTick),
            onlineCPUs: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
            throttlingPeriods: throttling["nr_periods"] ?? 0,
            throttledPeriods: throttling["nr_throttled"] ?? 0,
            throttledTime: throttling["throttled_time"] ?? 0,
            memoryUsage: value("memory", "memory.usage_in_bytes"),
            memoryMaxUsage: value("memory", "memory.max_usage_in_bytes"),
            memoryLimit: value("memory", "memory.limit_in_bytes"),
            memoryStats: keyValues("memory", "memory.stat"),
            pidsCurrent: value("pids", "pids.current"),
            pidsLimit: pidsMax.flatMap { UInt64($0) })
        stats.networks = (try? FileIO.readString("/proc/\(pid)/net/dev"))
            .map(InterfaceCounters.parse(netDev:)) ?? [:]
        stats.ioServiceBytes = blkio("io_service_bytes_recursive")
        stats.ioServiced = blkio("io_serviced_recursive")
        return stats
    }

    /// Sum of the "cpu " line of /proc/stat, in nanoseconds (what Docker calls system_cpu_usage).
    static func systemCPUUsage(nanosPerTick: UInt64) -> UInt64 {
        guard let text = try? FileIO.readString("/proc/stat"),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return 0 }
        let total = line.split(separator: " ").dropFirst().prefix(7).compactMap { UInt64($0) }.reduce(0, +)
        return total * nanosPerTick
    }
}
