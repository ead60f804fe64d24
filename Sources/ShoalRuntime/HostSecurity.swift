import ShoalOS

/// Which kernel security features this host has, read the way dockerd reads them for `docker info`'s Security
/// Options: AppArmor when its module is loaded and enabled (securityfs shows it), seccomp when the kernel reports
/// a seccomp mode for processes.
public enum HostSecurity {
    public static func appArmorEnabled() -> Bool {
        guard FileIO.exists("/sys/kernel/security/apparmor"),
              let enabled = try? FileIO.readString("/sys/module/apparmor/parameters/enabled") else { return false }
        return enabled.hasPrefix("Y")
    }

    public static func seccompEnabled() -> Bool {
        guard let status = try? FileIO.readString("/proc/self/status") else { return false }
        return status.split(separator: "\n").contains { $0.hasPrefix("Seccomp:") }
    }

    /// `docker info`'s entries for the confinement Shoal applies, in Docker's order. The seccomp profile is named
    /// `default` as API v1.41's Docker (20.10) names its built-in one.
    public static func infoOptions() -> [String] {
        var options: [String] = []
        if appArmorEnabled() { options.append("name=apparmor") }
        if seccompEnabled() { options.append("name=seccomp,profile=default") }
        return options
    }
}
