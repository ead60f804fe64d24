import Foundation
import Glibc
import ShoalCore
import ShoalOS

/// `docker top` output: titles and one row per process.
public struct ProcessTable: Sendable, Equatable {
    public var titles: [String]
    public var processes: [[String]]
}

extension ConmonRuntime {
    /// `runc ps --format json ID` for the pids, then the columns of `ps -ef` (UID PID PPID C STIME TTY TIME CMD)
    /// read from /proc, which is what Docker shows by default.
    public func ps(id: String) async throws -> ProcessTable {
        let output = try await runc(["ps", "--format", "json", id], id: id)
        let pids = (try? JSONDecoder().decode([Int32].self, from: Data(output))) ?? []
        return ProcessTable(titles: ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
                            processes: ProcFS.psRows(pids: pids.sorted()))
    }
}

/// Reading /proc for `ps -ef`-like rows.
enum ProcFS {
    static func psRows(pids: [Int32]) -> [[String]] {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let bootTime = bootTimeSeconds()
        let now = Date().timeIntervalSince1970
        let names = hostUserNames()
        return pids.compactMap { pid -> [String]? in
            guard let stat = try? FileIO.readString("/proc/\(pid)/stat"),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let comm = stat[stat.index(after: stat.firstIndex(of: "(")!)..<close]
            // Fields after "comm)": state(3) ppid(4) … tty_nr(7) … utime(14) stime(15) … starttime(22).
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            guard fields.count > 19 else { return nil }
            let ppid = String(fields[1])
            let ttyNr = Int(fields[4]) ?? 0
            let cpuTicks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
            let start = bootTime + (Double(fields[19]) ?? 0) / ticks
            let elapsed = max(now - start, 1)
            let cpuPercent = Int((cpuTicks / ticks) / elapsed * 100)
            let uid = uidOf(pid: pid)
            let user = uid.flatMap { names[$0] } ?? uid.map(String.init) ?? "?"
            let cmdline = (try? FileIO.readFile("/proc/\(pid)/cmdline")) ?? []
            var cmd = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
            if cmd.isEmpty { cmd = "[\(comm)]" }
            return [user, String(pid), ppid, String(cpuPercent), startTime(start, now: now), tty(ttyNr),
                    cpuTime(Int(cpuTicks / ticks)), cmd]
        }
    }

    /// The pids whose parent is `parent` (field 4 of /proc/PID/stat).
    static func children(of parent: Int32) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? FileIO.readString("/proc/\(pid)/stat"),
                  let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == parent
        }
    }

    static func bootTimeSeconds() -> Double {
        guard let stat = try? FileIO.readString("/proc/stat") else { return 0 }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }

    static func uidOf(pid: Int32) -> UInt32? {
        guard let status = try? FileIO.readString("/proc/\(pid)/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("Uid:") {
            return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { UInt32($0) }
        }
        return nil
    }

    /// ps resolves uids with the host's passwd, so Docker shows host names too.
    static func hostUserNames() -> [UInt32: String] {
        var names: [UInt32: String] = [:]
        for entry in UserResolver.parsePasswd((try? FileIO.readString("/etc/passwd")) ?? "") where names[entry.uid] == nil {
            names[entry.uid] = entry.name
        }
        return names
    }

    /// pts/N for Unix98 ptys (majors 136–143), "?" without a terminal.
    static func tty(_ ttyNr: Int) -> String {
        guard ttyNr != 0 else { return "?" }
        let major = (ttyNr >> 8) & 0xfff
        let minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00)
        if (136...143).contains(major) { return "pts/\((major - 136) * 256 + minor)" }
        if major == 4 { return "tty\(minor)" }
        return "?"
    }

    /// ps's STIME: HH:MM today, MonDD within a year, else the year.
    static func startTime(_ start: Double, now: Double) -> String {
        var time = time_t(start)
        var parts = tm()
        localtime_r(&time, &parts)
        var nowTime = time_t(now)
        var nowParts = tm()
        localtime_r(&nowTime, &nowParts)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        if parts.tm_year == nowParts.tm_year && parts.tm_yday == nowParts.tm_yday {
            return two(Int(parts.tm_hour)) + ":" + two(Int(parts.tm_min))
        }
        if now - start < 365 * 86400 { return months[Int(parts.tm_mon)] + two(Int(parts.tm_mday)) }
        return String(parts.tm_year + 1900)
    }

    static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }

    /// ps's TIME: [DD-]HH:MM:SS of CPU time.
    static func cpuTime(_ seconds: Int) -> String {
        let days = seconds / 86400
        let clock = two(seconds / 3600 % 24) + ":" + two(seconds / 60 % 60) + ":" + two(seconds % 60)
        return days > 0 ? "\(days)-\(clock)" : clock
    }
}
