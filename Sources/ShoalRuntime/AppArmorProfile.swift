/// Docker's AppArmor confinement, as a pure core: which profile a container gets and the text of the default
/// profile the daemon loads (`AppArmorLoader` does the I/O).
///
/// On a host with AppArmor every container is confined: by the profile `--security-opt apparmor=NAME` names
/// (`unconfined` included), else `unconfined` for `--privileged`, else `docker-default`. On a host without it
/// nothing is applied, and a profile named by the user is accepted and ignored, as dockerd 20.10 does.
public enum AppArmorProfile {
    public static let defaultName = "docker-default"
    public static let unconfined = "unconfined"

    /// The profile runc applies to the container's processes (OCI `process.apparmorProfile`); nil for none.
    public static func choose(requested: String?, privileged: Bool, hostHasAppArmor: Bool) -> String? {
        guard hostHasAppArmor else { return nil }
        if let requested, !requested.isEmpty { return requested }
        return privileged ? unconfined : defaultName
    }

    /// What the generated profile depends on: the host's parser and policy files, and the daemon's own profile.
    public struct Environment: Sendable, Equatable {
        /// apparmor_parser's version as dockerd counts it (major·100000 + minor·1000 + patch).
        public var parserVersion: Int
        /// Whether /etc/apparmor.d has `tunables/global` and `abstractions/base`.
        public var hasGlobalTunables: Bool
        public var hasBaseAbstraction: Bool
        /// The profile confining the daemon (its signals to containers must be let through); `unconfined` if none.
        public var daemonProfile: String

        public init(parserVersion: Int, hasGlobalTunables: Bool, hasBaseAbstraction: Bool,
                    daemonProfile: String = AppArmorProfile.unconfined) {
            self.parserVersion = parserVersion
            self.hasGlobalTunables = hasGlobalTunables
            self.hasBaseAbstraction = hasBaseAbstraction
            self.daemonProfile = daemonProfile
        }
    }

    /// The default profile: everything a container normally does (network, file access, capabilities its
    /// bounding set still holds, unmounting), minus writes into the kernel's knobs under /proc and /sys, any
    /// mount, and reads of firmware, security and raw-memory files. Same rules as Docker's template (its signal
    /// and ptrace rules only for parsers that know them: 2.8.96 and 2.8.95 on).
    public static func text(name: String = defaultName, environment: Environment) -> String {
        var lines: [String] = []
        lines.append(environment.hasGlobalTunables ? "#include <tunables/global>" : "@{PROC}=/proc/")
        lines.append("")
        lines.append("profile \(name) flags=(attach_disconnected,mediate_deleted) {")
        if environment.hasBaseAbstraction { lines.append("  #include <abstractions/base>") }
        lines += ["  network,", "  capability,", "  file,", "  umount,"]
        if environment.parserVersion >= 208_096 {
            lines += [
                "  # Signals from unconfined host processes, from the daemon (docker kill) and within the container.",
                "  signal (receive) peer=unconfined,",
                "  signal (receive) peer=\(environment.daemonProfile),",
                "  signal (send,receive) peer=\(name),",
            ]
        }
        lines += [
            "",
            "  # /proc: no writes to its top-level files, nor below anything but /proc/<pid> and /proc/sys;",
            "  # in /proc/sys only kernel/shm* may be written.",
            "  deny @{PROC}/* w,",
            "  deny @{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9]*}/** w,",
            "  deny @{PROC}/sys/[^k]** w,",
            "  deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w,",
            "  deny @{PROC}/sysrq-trigger rwklx,",
            "  deny @{PROC}/kcore rwklx,",
            "",
            "  deny mount,",
            "",
            "  # /sys: nothing may be written, locked, linked or executed outside /sys/fs/cgroup; firmware and",
            "  # security files may not even be read.",
            "  deny /sys/[^f]*/** wklx,",
            "  deny /sys/f[^s]*/** wklx,",
            "  deny /sys/fs/[^c]*/** wklx,",
            "  deny /sys/fs/c[^g]*/** wklx,",
            "  deny /sys/fs/cg[^r]*/** wklx,",
            "  deny /sys/firmware/** rwklx,",
            "  deny /sys/kernel/security/** rwklx,",
        ]
        if environment.parserVersion >= 208_095 {
            lines += ["", "  # ps inside the container and docker top see its processes without denials.",
                      "  ptrace (trace,read,tracedby,readby) peer=\(name),"]
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// apparmor_parser's `--version` output as a number (dockerd's aaparser.parseVersion): the last word of the
    /// first line, without a `-` or `~` suffix.
    public static func parserVersion(_ output: String) -> Int? {
        let first = output.split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
        guard var word = first.split(separator: " ").last.map(String.init) else { return nil }
        word = String(word.split(separator: "-", maxSplits: 1).first ?? "")
        word = String(word.split(separator: "~", maxSplits: 1).first ?? "")
        let parts = word.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard let number = Int(part) else { return nil }
            numbers.append(number)
        }
        while numbers.count < 3 { numbers.append(0) }
        return numbers[0] * 100_000 + numbers[1] * 1_000 + numbers[2]
    }

    /// Whether securityfs's list of loaded profiles (`NAME (mode)` per line) has `name`.
    public static func isLoaded(_ name: String, profiles: String) -> Bool {
        profiles.split(separator: "\n").contains { $0.hasPrefix(name + " ") }
    }
}
