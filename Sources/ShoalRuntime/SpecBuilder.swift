import Foundation
import ShoalCore

/// Builds the OCI spec Docker would give runc for a container (moby daemon/oci defaults + createSpec), from the
/// engine's options. Pure: the resolved user and the host's device list (for --privileged) come in as values.
public enum SpecBuilder {
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Docker 28's masked paths (file → bound over by /dev/null, dir → empty read-only tmpfs, by runc). Docker also
    /// masks /sys/devices/system/cpu/cpuN/thermal_throttle where a host has it (`hostMaskedPaths`).
    public static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
        "/sys/devices/virtual/powercap",
    ]
    public static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    /// The masked paths for a container on this host: `maskedPaths` plus each CPU's thermal_throttle directory
    /// that exists (its counters leak what other tenants run; Docker masks them since 28).
    public static let hostMaskedPaths: [String] = {
        let cpus = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/devices/system/cpu")) ?? []
        let throttles = cpus.filter { $0.hasPrefix("cpu") && Int($0.dropFirst(3)) != nil }
            .sorted { Int($0.dropFirst(3))! < Int($1.dropFirst(3))! }
            .map { "/sys/devices/system/cpu/\($0)/thermal_throttle" }
            .filter { FileManager.default.fileExists(atPath: $0) }
        return maskedPaths + throttles
    }()

    /// Docker's device cgroup rules: deny all, then null, zero, full-ish basics, tty, console; tun denied.
    /// runc adds its own defaults (pts, ptmx, full) on top, as it does for Docker.
    public static let defaultDeviceRules: [OCISpec.DeviceRule] = [
        .init(allow: false, access: "rwm"),
        .init(allow: true, type: "c", major: 1, minor: 5, access: "rwm"),
        .init(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),
        .init(allow: true, type: "c", major: 1, minor: 9, access: "rwm"),
        .init(allow: true, type: "c", major: 1, minor: 8, access: "rwm"),
        .init(allow: true, type: "c", major: 5, minor: 0, access: "rwm"),
        .init(allow: true, type: "c", major: 5, minor: 1, access: "rwm"),
        .init(allow: false, type: "c", major: 10, minor: 229, access: "rwm"),
    ]

    /// None: like dockerd without --default-ulimit, containers inherit the daemon's limits (through conmon).
    /// Setting a hard limit above the daemon's own fails in runc ("error setting rlimit … operation not permitted").
    public static let defaultRlimits: [OCIProcess.Rlimit] = []

    public static let initDestination = "/sbin/docker-init"

    /// - Parameters:
    ///   - user: the result of `UserResolver.resolve(options.user, rootfs:)`.
    ///   - hostDevices: every device node of the host (`HostDevices.list()`), used only when privileged.
    ///   - allCapabilities: what ALL / --privileged grant (`Capabilities.hostBounding()` on a real host).
    ///   - host: the architecture and kernel the seccomp profile's conditions read.
    public static func build(_ options: ContainerSpecOptions, user: ExecUser, hostDevices: [OCISpec.Device] = [],
                             allCapabilities: [String] = Capabilities.all,
                             host: SeccompResolver.Host = .current) throws -> OCISpec {
        guard !options.args.isEmpty else { throw ShoalError.invalidArgument("no command specified") }
        let caps = try Capabilities.resolve(add: options.capAdd, drop: options.capDrop, privileged: options.privileged,
                                            all: allCapabilities)
        var args = options.args
        if options.initProcess { args = [initDestination, "--"] + args }
        var process = OCIProcess(
            terminal: options.terminal,
            user: .init(uid: user.uid, gid: user.gid, additionalGids: user.additionalGids.isEmpty ? nil : user.additionalGids),
            args: args,
            env: environment(options),
            cwd: options.workingDir.isEmpty ? "/" : options.workingDir,
            capabilities: .init(caps),
            rlimits: rlimits(options.ulimits).isEmpty ? nil : rlimits(options.ulimits),
            noNewPrivileges: options.noNewPrivileges ? true : nil)

        process.apparmorProfile = AppArmorProfile.choose(requested: options.appArmorProfile, privileged: options.privileged,
                                                         hostHasAppArmor: host.hasAppArmor)

        var linux = OCISpec.Linux()
        linux.namespaces = [("pid", options.pidNamespace), ("ipc", options.ipcNamespace), ("uts", options.utsNamespace)]
            .compactMap { type, namespace in
                switch namespace {
                case .own: .init(type: type)
                case .host: nil
                case .join(let path): .init(type: type, path: path)
                }
            }
        linux.namespaces.append(.init(type: "mount"))
        if options.cgroupNamespace == .own { linux.namespaces.append(.init(type: "cgroup")) }
        switch options.network {
        case .path(let path): linux.namespaces.append(.init(type: "network", path: path))
        case .none: linux.namespaces.append(.init(type: "network"))
        case .host: break
        }
        linux.cgroupsPath = options.cgroupParent.hasSuffix("/")
            ? options.cgroupParent + options.id : options.cgroupParent + "/" + options.id
        linux.resources = try resources(options)
        linux.rootfsPropagation = BindPropagation.rootfsPropagation(options.binds)
        if options.privileged {
            linux.devices = hostDevices
        } else if !options.devices.isEmpty {
            linux.devices = options.devices
        }
        // Given lists win (empty ones from --security-opt systempaths=unconfined); without one, --privileged
        // sees everything and other containers get Docker's defaults.
        let masked = options.maskedPaths ?? (options.privileged ? [] : maskedPaths)
        let readonly = options.readonlyPaths ?? (options.privileged ? [] : readonlyPaths)
        linux.maskedPaths = masked.isEmpty ? nil : masked
        linux.readonlyPaths = readonly.isEmpty ? nil : readonly
        linux.seccomp = try seccomp(options, capabilities: caps, host: host)
        if !options.sysctls.isEmpty { linux.sysctl = options.sysctls }
        var mounts = try mounts(options)
        if let mapping = options.userNamespace {
            applyUserNamespace(mapping, path: options.userNamespacePath, network: options.network, linux: &linux,
                               mounts: &mounts)
        }

        let spec = OCISpec(
            process: process,
            root: .init(path: options.rootfs, readonly: options.readOnlyRootfs ? true : nil),
            // Without a UTS namespace of its own the container has the host's name (runc cannot set one).
            hostname: options.hostname.isEmpty || options.utsNamespace != .own ? nil : options.hostname,
            mounts: mounts,
            linux: linux)
        return spec
    }

    /// The filter Docker gives the container: none when unconfined, and none for --privileged unless it names a
    /// profile of its own; the default profile otherwise, resolved for the container's capabilities. A kernel
    /// without seccomp runs the default unfiltered and cannot honour a custom profile.
    static func seccomp(_ options: ContainerSpecOptions, capabilities: [String], host: SeccompResolver.Host) throws
        -> OCISpec.Seccomp? {
        switch options.seccomp {
        case .unconfined:
            return nil
        case .builtin:
            guard !options.privileged, host.hasSeccomp else { return nil }
            return try SeccompResolver.resolve(.dockerDefault, capabilities: capabilities, host: host)
        case .profile(let profile):
            guard host.hasSeccomp else {
                throw SecurityOptionError("seccomp is not enabled in your kernel, cannot run a custom seccomp profile")
            }
            return try SeccompResolver.resolve(profile, capabilities: capabilities, host: host)
        }
    }

    /// Docker's order: PATH default, HOSTNAME, TERM (tty only), then the container's env replacing or appending.
    static func environment(_ options: ContainerSpecOptions) -> [String] {
        var env = ["PATH=" + defaultPath]
        if !options.hostname.isEmpty { env.append("HOSTNAME=" + options.hostname) }
        if options.terminal { env.append("TERM=xterm") }
        for entry in options.env {
            let key = entry.split(separator: "=", maxSplits: 1).first.map(String.init) ?? entry
            if let index = env.firstIndex(where: { $0 == key || $0.hasPrefix(key + "=") }) {
                env[index] = entry
            } else {
                env.append(entry)
            }
        }
        return env
    }

    static func rlimits(_ ulimits: [OCIProcess.Rlimit]) -> [OCIProcess.Rlimit] {
        var result = defaultRlimits.filter { limit in !ulimits.contains { $0.type == limit.type } }
        result.append(contentsOf: ulimits)
        return result
    }

    /// `--cpus` as Docker sets it: a CFS quota over a 100 ms period.
    static let cpuPeriod: UInt64 = 100_000
    static func cpuQuota(_ cpus: Double) -> Int64 { Int64((cpus * Double(cpuPeriod)).rounded()) }

    static func resources(_ options: ContainerSpecOptions) throws -> OCISpec.Resources {
        var resources = OCISpec.Resources()
        resources.devices = options.privileged
            ? [.init(allow: true, access: "rwm")] : defaultDeviceRules + options.deviceRules
        if options.memory != nil || options.memorySwap != nil || options.memoryReservation != nil {
            if let memory = options.memory, memory < 6 << 20 {
                throw ShoalError.invalidArgument("Minimum memory limit allowed is 6MB")
            }
            resources.memory = .init(limit: options.memory, reservation: options.memoryReservation,
                                     swap: options.memorySwap)
        }
        if options.cpus != nil || options.cpuShares != nil || options.cpusetCpus != nil || options.cpusetMems != nil {
            var cpu = OCISpec.CPU(shares: options.cpuShares, cpus: options.cpusetCpus, mems: options.cpusetMems)
            if let cpus = options.cpus {
                guard cpus > 0 else { throw ShoalError.invalidArgument("Range of CPUs is from 0.01 to the number of CPUs available") }
                cpu.period = cpuPeriod
                cpu.quota = cpuQuota(cpus)
            }
            resources.cpu = cpu
        }
        if let pids = options.pidsLimit, pids > 0 { resources.pids = .init(limit: pids) }
        return resources
    }

    static func mounts(_ options: ContainerSpecOptions) throws -> [OCISpec.Mount] {
        let ro = options.privileged ? "rw" : "ro"
        var defaults: [OCISpec.Mount] = [
            .init(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
            .init(destination: "/dev", type: "tmpfs", source: "tmpfs",
                  options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            .init(destination: "/dev/pts", type: "devpts", source: "devpts",
                  options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            .init(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", ro]),
            .init(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
                  options: ["nosuid", "noexec", "nodev", "relatime", ro]),
            .init(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
        ]
        switch options.sharedMemory {
        case .own:
            defaults.append(.init(destination: "/dev/shm", type: "tmpfs", source: "shm",
                                  options: ["nosuid", "noexec", "nodev", "mode=1777", "size=\(options.shmSize)"]))
        case .none:
            break
        case .bind(let source):
            defaults.append(.init(destination: "/dev/shm", type: "bind", source: source, options: ["rbind", "rprivate"]))
        }
        var user: [OCISpec.Mount] = []
        for bind in options.binds {
            guard bind.destination.hasPrefix("/"), bind.source.hasPrefix("/") else {
                throw ShoalError.invalidArgument("invalid mount config: bind paths must be absolute: \(bind.source):\(bind.destination)")
            }
            user.append(.init(destination: clean(bind.destination), type: "bind", source: bind.source,
                              options: ["rbind", bind.readOnly ? "ro" : "rw", bind.propagation] + bind.lockedOptions))
        }
        for (destination, rawOptions) in options.tmpfs.sorted(by: { $0.key < $1.key }) {
            guard destination.hasPrefix("/") else {
                throw ShoalError.invalidArgument("invalid mount config for type \"tmpfs\": invalid mount path: '\(destination)' mount path must be absolute")
            }
            user.append(.init(destination: clean(destination), type: "tmpfs", source: "tmpfs",
                              options: tmpfsOptions(rawOptions)))
        }
        if options.initProcess {
            user.append(.init(destination: initDestination, type: "bind", source: options.initPath,
                              options: ["bind", "ro"]))
        }
        var seen = Set<String>()
        for mount in user {
            guard seen.insert(mount.destination).inserted else {
                throw ShoalError.invalidArgument("Duplicate mount point: \(mount.destination)")
            }
        }
        // A user mount replaces the default at the same place (e.g. --tmpfs /dev/shm), as in Docker.
        defaults.removeAll { seen.contains($0.destination) }
        // Parents before children, so /data is mounted before /data/sub (Docker sorts by path depth).
        let sortedUser = user.enumerated().sorted { lhs, rhs in
            let left = depth(lhs.element.destination), right = depth(rhs.element.destination)
            return left == right ? lhs.offset < rhs.offset : left < right
        }.map(\.element)
        return defaults + sortedUser
    }

    /// Docker's tmpfs defaults (noexec, nosuid, nodev) with the user's options replacing their opposites.
    static func tmpfsOptions(_ raw: String) -> [String] {
        var options = ["noexec", "nosuid", "nodev"]
        let opposites = ["exec": "noexec", "noexec": "exec", "suid": "nosuid", "nosuid": "suid", "dev": "nodev",
                         "nodev": "dev", "ro": "rw", "rw": "ro"]
        for option in raw.split(separator: ",").map(String.init) where !option.isEmpty {
            if let opposite = opposites[option] { options.removeAll { $0 == opposite || $0 == option } }
            if let key = option.split(separator: "=").first, option.contains("=") {
                options.removeAll { $0.hasPrefix(key + "=") }
            }
            options.append(option)
        }
        return options
    }

    static func clean(_ path: String) -> String {
        let parts = path.split(separator: "/").filter { $0 != "." }
        return "/" + parts.joined(separator: "/")
    }

    static func depth(_ path: String) -> Int { path.split(separator: "/").count }
}
