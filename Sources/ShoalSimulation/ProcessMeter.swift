import Foundation

/// What a process costs, read from `/proc/<pid>` (Linux): resident memory now and at its peak, and CPU time
/// (user + system) so far. Reading another process's files changes nothing in it.
public struct ProcessUsage: Sendable, Equatable, Codable {
    public var pid: Int32
    public var rssBytes: Int64
    public var peakRSSBytes: Int64
    public var cpuSeconds: Double

    /// The usage of `pid`, or nil when it is gone.
    public static func of(_ pid: Int32) -> ProcessUsage? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        func kilobytes(_ field: String) -> Int64 {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return 0 }
            return Int64(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
        }
        // Fields after the command (which may hold spaces) start after its closing parenthesis; utime and stime
        // are fields 14 and 15 of the whole line.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ProcessUsage(pid: pid, rssBytes: kilobytes("VmRSS") * 1024, peakRSSBytes: kilobytes("VmHWM") * 1024,
                            cpuSeconds: (user + system) / ticks)
    }

    public static var current: ProcessUsage? { of(getpid()) }

    /// The etcd member whose data directory is `dataDirectory` (a child of the manager), found by its command line.
    public static func etcdMember(dataDirectory: String) -> Int32? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for entry in entries {
            guard let pid = Int32(entry),
                  let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { continue }
            let arguments = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if arguments.first?.hasSuffix("etcd") == true, arguments.contains("--data-dir=\(dataDirectory)") {
                return pid
            }
        }
        return nil
    }
}
