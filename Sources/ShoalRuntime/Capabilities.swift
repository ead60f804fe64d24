import Foundation
import ShoalCore
import ShoalOS

/// Linux capabilities as Docker handles them: the default set, `--cap-add/--cap-drop` with ALL, `--privileged`.
public enum Capabilities {
    /// Docker's default set (moby oci/caps/defaults.go).
    public static let dockerDefault = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]

    /// Every capability up to CAP_CHECKPOINT_RESTORE (40), the last one Linux 6.x defines, in number order.
    public static let all = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// The effective set after Docker's rules (moby TweakCapabilities): privileged → all; add ALL → all minus
    /// drops; drop ALL → only adds; else default minus drops plus adds. Names may omit `CAP_`, any case.
    /// `all` is what "ALL" and --privileged mean: pass `hostBounding()` so a daemon that lacks some capability
    /// (a restricted VM, a nested container) does not ask runc for it ("unable to apply caps").
    public static func resolve(add: [String], drop: [String], privileged: Bool,
                               base: [String] = dockerDefault, all: [String] = all) throws -> [String] {
        if privileged { return all }
        if add.isEmpty && drop.isEmpty { return base }
        let (adds, addAll) = try normalize(add)
        let (drops, dropAll) = try normalize(drop)
        var result: [String]
        if addAll {
            result = all.filter { !drops.contains($0) }
        } else if dropAll {
            result = adds
        } else {
            result = base.filter { !drops.contains($0) }
            for cap in adds where !result.contains(cap) { result.append(cap) }
        }
        return result
    }

    /// The capabilities in this process's bounding set (CapBnd of /proc/self/status), in number order.
    public static func hostBounding() -> [String] {
        guard let status = try? FileIO.readString("/proc/self/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapBnd:") }),
              let mask = UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) else { return all }
        return all.enumerated().filter { mask & (1 << UInt64($0.offset)) != 0 }.map(\.element)
    }

    static func normalize(_ names: [String]) throws -> (caps: [String], all: Bool) {
        var caps: [String] = []
        var hasAll = false
        for raw in names {
            let upper = raw.uppercased()
            if upper == "ALL" || upper == "CAP_ALL" {
                hasAll = true
                continue
            }
            let name = upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
            guard all.contains(name) else { throw ShoalError.invalidArgument("unknown capability: \"\(name)\"") }
            if !caps.contains(name) { caps.append(name) }
        }
        return (caps, hasAll)
    }
}
