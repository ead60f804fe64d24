import Foundation

/// Turns a Docker-format seccomp profile into the OCI filter runc installs, for one container on one host: what
/// dockerd does before it writes config.json. Pure; the host (architecture, kernel) and the container's bounding
/// capabilities come in as values, so the golden tests pin every branch.
public enum SeccompResolver {
    /// The host facts a profile's conditions read (and whether the kernel has seccomp and AppArmor at all).
    public struct Host: Sendable, Equatable {
        /// libseccomp's native name of the architecture (amd64, arm64, x86 …), as rules' `arches` spell it.
        public var nativeArch: String
        public var kernel: KernelVersion
        /// Whether the kernel filters syscalls at all; without it Docker runs containers unfiltered.
        public var hasSeccomp: Bool
        /// Whether AppArmor is on (a profile named by the user is applied only then).
        public var hasAppArmor: Bool
        public init(nativeArch: String, kernel: KernelVersion, hasSeccomp: Bool = true, hasAppArmor: Bool = false) {
            self.nativeArch = nativeArch
            self.kernel = kernel
            self.hasSeccomp = hasSeccomp
            self.hasAppArmor = hasAppArmor
        }

        /// This machine, read once. An unreadable kernel release counts as new: a rule waiting for a kernel applies.
        public static let current = Host(
            nativeArch: nativeArchitecture(machine: machineName()) ?? "",
            kernel: KernelVersion.current() ?? KernelVersion(UInt64(UInt8.max), 0),
            hasSeccomp: HostSecurity.seccompEnabled(), hasAppArmor: HostSecurity.appArmorEnabled())
    }

    /// `uname -m` → libseccomp's native architecture name.
    static let nativeByMachine: [String: String] = [
        "x86_64": "amd64", "i386": "x86", "i686": "x86", "aarch64": "arm64", "armv7l": "arm", "armv6l": "arm",
        "ppc64le": "ppc64le", "ppc64": "ppc64", "s390x": "s390x", "riscv64": "riscv64", "mips64": "mips64",
        "loongarch64": "loong64",
    ]

    /// Native name → the libseccomp architecture an `archMap` entry is keyed by.
    static let scmpByNative: [String: String] = [
        "x86": "SCMP_ARCH_X86", "amd64": "SCMP_ARCH_X86_64", "arm": "SCMP_ARCH_ARM", "arm64": "SCMP_ARCH_AARCH64",
        "loong64": "SCMP_ARCH_LOONGARCH64", "mips64": "SCMP_ARCH_MIPS64", "mips64n32": "SCMP_ARCH_MIPS64N32",
        "mipsel64": "SCMP_ARCH_MIPSEL64", "mips3l64n32": "SCMP_ARCH_MIPSEL64N32", "mipsle": "SCMP_ARCH_MIPSEL",
        "ppc": "SCMP_ARCH_PPC", "ppc64": "SCMP_ARCH_PPC64", "ppc64le": "SCMP_ARCH_PPC64LE",
        "riscv64": "SCMP_ARCH_RISCV64", "s390": "SCMP_ARCH_S390", "s390x": "SCMP_ARCH_S390X",
    ]

    static func nativeArchitecture(machine: String) -> String? { nativeByMachine[machine] }

    static func machineName() -> String {
        var name = utsname()
        guard uname(&name) == 0 else { return "" }
        return withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// The filter for a container whose bounding set is `capabilities`; nil when the profile asks for none
    /// (no default action and no rules).
    ///
    /// A rule is dropped when an `excludes` condition holds (its arch is this one, any of its caps is held, the
    /// kernel is at least its minimum) or an `includes` condition fails (this arch is not listed, one of its caps
    /// is missing, the kernel is older than its minimum). The architectures are the profile's own, or this
    /// arch's `archMap` entry with its sub-architectures.
    public static func resolve(_ profile: SeccompProfile, capabilities: [String], host: Host) throws
        -> OCISpec.Seccomp? {
        let rules = profile.syscalls ?? []
        if profile.defaultAction.isEmpty && rules.isEmpty { return nil }
        if !(profile.architectures ?? []).isEmpty && !(profile.archMap ?? []).isEmpty {
            throw SecurityOptionError(
                "both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'")
        }
        var result = OCISpec.Seccomp(defaultAction: profile.defaultAction, defaultErrnoRet: profile.defaultErrnoRet,
                                     architectures: profile.architectures)
        result.flags = profile.flags
        result.listenerPath = profile.listenerPath
        result.listenerMetadata = profile.listenerMetadata
        if let scmp = scmpByNative[host.nativeArch],
           let mapping = (profile.archMap ?? []).first(where: { $0.architecture == scmp }) {
            result.architectures = (result.architectures ?? []) + [mapping.architecture] + (mapping.subArchitectures ?? [])
        }
        let held = Set(capabilities)
        var syscalls: [OCISpec.Seccomp.Syscall] = []
        for rule in rules {
            var names = rule.names ?? []
            if let name = rule.name, !name.isEmpty {
                guard names.isEmpty else {
                    throw SecurityOptionError(
                        "both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'")
                }
                names = [name]
            }
            if let excludes = rule.excludes {
                if (excludes.arches ?? []).contains(host.nativeArch) { continue }
                if (excludes.caps ?? []).contains(where: held.contains) { continue }
                if let minimum = excludes.minKernel, host.kernel >= minimum { continue }
            }
            if let includes = rule.includes {
                if let arches = includes.arches, !arches.isEmpty, !arches.contains(host.nativeArch) { continue }
                if !(includes.caps ?? []).allSatisfy(held.contains) { continue }
                if let minimum = includes.minKernel, host.kernel < minimum { continue }
            }
            syscalls.append(.init(names: names, action: rule.action, errnoRet: rule.errnoRet, args: rule.args))
        }
        result.syscalls = syscalls.isEmpty ? nil : syscalls
        return result
    }
}
