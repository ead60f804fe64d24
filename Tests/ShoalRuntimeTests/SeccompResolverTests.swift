import Foundation
@testable import ShoalRuntime
import Testing

/// Golden tests of Docker's default profile resolved for a container: which rules runc gets, by capability,
/// architecture and kernel, and the profile errors Docker reports.
@Suite struct SeccompResolverTests {
    let amd64 = SeccompResolver.Host(nativeArch: "amd64", kernel: KernelVersion(6, 18))

    /// One line per resolved rule: its first name (or all names when few), action, errno and argument tests.
    func summary(_ seccomp: OCISpec.Seccomp?) -> [String] {
        (seccomp?.syscalls ?? []).map { rule in
            let names = rule.names.count > 6 ? "\(rule.names[0])…(\(rule.names.count))" : rule.names.joined(separator: ",")
            var line = names + " " + rule.action
            if let errno = rule.errnoRet { line += " errno=\(errno)" }
            for arg in rule.args ?? [] { line += " arg\(arg.index)\(arg.op.replacingOccurrences(of: "SCMP_CMP_", with: " "))\(arg.value)" }
            return line
        }
    }

    static let common = [
        "accept…(361) SCMP_ACT_ALLOW",
        "process_vm_readv,process_vm_writev,ptrace SCMP_ACT_ALLOW",
        "socket SCMP_ACT_ALLOW arg0 LT38", "socket SCMP_ACT_ALLOW arg0 EQ39", "socket SCMP_ACT_ALLOW arg0 GT40",
        "personality SCMP_ACT_ALLOW arg0 EQ0", "personality SCMP_ACT_ALLOW arg0 EQ8",
        "personality SCMP_ACT_ALLOW arg0 EQ131072", "personality SCMP_ACT_ALLOW arg0 EQ131080",
        "personality SCMP_ACT_ALLOW arg0 EQ4294967295",
        "arch_prctl SCMP_ACT_ALLOW", "modify_ldt SCMP_ACT_ALLOW",
    ]

    @Test func defaultCapabilitiesOnX8664() throws {
        let seccomp = try #require(try SeccompResolver.resolve(.dockerDefault, capabilities: Capabilities.dockerDefault,
                                                               host: amd64))
        #expect(seccomp.defaultAction == "SCMP_ACT_ERRNO")
        #expect(seccomp.defaultErrnoRet == 1)
        #expect(seccomp.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        #expect(summary(seccomp) == Self.common + [
            "clone SCMP_ACT_ALLOW arg0 MASKED_EQ2114060288", "clone3 SCMP_ACT_ERRNO errno=38", "chroot SCMP_ACT_ALLOW",
        ])
        let allowed = Set(seccomp.syscalls!.filter { $0.action == "SCMP_ACT_ALLOW" && $0.args == nil }.flatMap(\.names))
        for refused in ["unshare", "mount", "keyctl", "add_key", "request_key", "setns", "kcmp", "reboot", "bpf",
                        "init_module", "clock_settime", "open_by_handle_at", "perf_event_open"] {
            #expect(!allowed.contains(refused), "\(refused) must be refused by default")
        }
        for permitted in ["read", "execve", "ptrace", "chroot", "openat"] {
            #expect(allowed.contains(permitted), "\(permitted) must be allowed by default")
        }
    }

    @Test func sysAdminGainsItsSyscallsAndUnrestrictedClone() throws {
        let seccomp = try SeccompResolver.resolve(.dockerDefault, capabilities: Capabilities.dockerDefault + ["CAP_SYS_ADMIN"],
                                                  host: amd64)
        #expect(summary(seccomp) == Self.common + ["bpf…(26) SCMP_ACT_ALLOW", "chroot SCMP_ACT_ALLOW"])
        let adminRule = try #require(seccomp?.syscalls?.first { $0.names.contains("unshare") })
        #expect(adminRule.names.contains("mount") && adminRule.names.contains("setns") && adminRule.names.contains("clone3"))
    }

    @Test func eachCapabilityOpensItsOwnRules() throws {
        let caps = ["CAP_SYS_PTRACE", "CAP_SYS_TIME", "CAP_SYS_BOOT", "CAP_SYS_MODULE", "CAP_DAC_READ_SEARCH"]
        let seccomp = try SeccompResolver.resolve(.dockerDefault, capabilities: caps, host: amd64)
        let lines = summary(seccomp)
        #expect(lines.contains("open_by_handle_at SCMP_ACT_ALLOW"))
        #expect(lines.contains("reboot SCMP_ACT_ALLOW"))
        #expect(lines.contains("delete_module,init_module,finit_module SCMP_ACT_ALLOW"))
        #expect(lines.contains("kcmp,pidfd_getfd,process_madvise,process_vm_readv,process_vm_writev,ptrace SCMP_ACT_ALLOW"))
        #expect(lines.contains("settimeofday,stime,clock_settime,clock_settime64 SCMP_ACT_ALLOW"))
        // Without CAP_SYS_CHROOT there is no chroot rule.
        #expect(!lines.contains("chroot SCMP_ACT_ALLOW"))
    }

    @Test func architectureAndKernelConditions() throws {
        let arm64 = SeccompResolver.Host(nativeArch: "arm64", kernel: KernelVersion(6, 1))
        let onArm = try SeccompResolver.resolve(.dockerDefault, capabilities: Capabilities.dockerDefault, host: arm64)
        #expect(onArm?.architectures == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])
        #expect(summary(onArm).contains("arm_fadvise64_64,arm_sync_file_range,sync_file_range2,breakpoint,cacheflush,set_tls SCMP_ACT_ALLOW"))
        #expect(!summary(onArm).contains("arch_prctl SCMP_ACT_ALLOW"))
        // ptrace is allowed to everyone only from Linux 4.8 (before, it could bypass the filter).
        let old = SeccompResolver.Host(nativeArch: "amd64", kernel: KernelVersion(4, 4))
        let onOld = try SeccompResolver.resolve(.dockerDefault, capabilities: Capabilities.dockerDefault, host: old)
        #expect(!summary(onOld).contains("process_vm_readv,process_vm_writev,ptrace SCMP_ACT_ALLOW"))
        // s390 passes clone's flags in its second argument.
        let s390x = SeccompResolver.Host(nativeArch: "s390x", kernel: KernelVersion(5, 10))
        #expect(try SeccompResolver.resolve(.dockerDefault, capabilities: [], host: s390x)?.syscalls?
            .contains { $0.names == ["clone"] && $0.args?.first?.index == 1 } == true)
    }

    @Test func specBuilderChoosesTheFilter() throws {
        let root = ExecUser(uid: 0, gid: 0, additionalGids: [], home: "/root")
        func build(_ edit: (inout ContainerSpecOptions) -> Void) throws -> OCISpec.Seccomp? {
            var options = ContainerSpecOptions(id: "abc", rootfs: "/r", args: ["sh"])
            edit(&options)
            return try SpecBuilder.build(options, user: root, host: amd64).linux.seccomp
        }
        #expect(try build { _ in }?.defaultAction == "SCMP_ACT_ERRNO")
        #expect(try build { $0.seccomp = .unconfined } == nil)
        // --privileged runs unfiltered unless it names a profile of its own.
        #expect(try build { $0.privileged = true } == nil)
        let custom = SeccompProfile(defaultAction: "SCMP_ACT_ALLOW",
                                    syscalls: [.init(names: ["mkdir"], action: "SCMP_ACT_ERRNO")])
        let privilegedCustom = try build { $0.privileged = true; $0.seccomp = .profile(custom) }
        #expect(privilegedCustom?.syscalls == [.init(names: ["mkdir"], action: "SCMP_ACT_ERRNO")])
        // The conditions read the bounding set after --cap-add.
        #expect(try build { $0.capAdd = ["SYS_ADMIN"] }?.syscalls?.contains { $0.names.contains("unshare") } == true)
        // A named AppArmor profile reaches runc only where the kernel has AppArmor.
        var named = ContainerSpecOptions(id: "abc", rootfs: "/r", args: ["sh"])
        named.appArmorProfile = "custom"
        let withAppArmor = SeccompResolver.Host(nativeArch: "amd64", kernel: KernelVersion(6, 18), hasAppArmor: true)
        #expect(try SpecBuilder.build(named, user: root, host: withAppArmor).process.apparmorProfile == "custom")
        #expect(try SpecBuilder.build(named, user: root, host: amd64).process.apparmorProfile == nil)
        let noSeccomp = SeccompResolver.Host(nativeArch: "amd64", kernel: KernelVersion(6, 18), hasSeccomp: false)
        var options = ContainerSpecOptions(id: "abc", rootfs: "/r", args: ["sh"])
        #expect(try SpecBuilder.build(options, user: root, host: noSeccomp).linux.seccomp == nil)
        options.seccomp = .profile(custom)
        #expect(throws: SecurityOptionError("seccomp is not enabled in your kernel, cannot run a custom seccomp profile")) {
            try SpecBuilder.build(options, user: root, host: noSeccomp)
        }
    }

    @Test func customProfilesAsDockerReadsThem() throws {
        let profile = try SeccompProfile.parse("""
            {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
             "syscalls": [{"name": "mkdir", "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
                          {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "99.0"}},
                          {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "comment": "ignored",
                           "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_EQ"}]}]}
            """)
        let seccomp = try SeccompResolver.resolve(profile, capabilities: [], host: amd64)
        #expect(seccomp?.architectures == ["SCMP_ARCH_X86_64"])
        #expect(seccomp?.syscalls == [
            .init(names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 13),
            .init(names: ["kill"], action: "SCMP_ACT_ERRNO", args: [.init(index: 1, value: 9, op: "SCMP_CMP_EQ")]),
        ])
        // No default action and no rules: no filter at all.
        #expect(try SeccompResolver.resolve(SeccompProfile.parse("{}"), capabilities: [], host: amd64) == nil)
    }

    @Test func malformedProfilesFailWithDockersMessages() throws {
        #expect(throws: SecurityOptionError(
            "both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'")) {
            try SeccompResolver.resolve(SeccompProfile.parse("""
                {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
                 "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}
                """), capabilities: [], host: amd64)
        }
        #expect(throws: SecurityOptionError(
            "both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'")) {
            try SeccompResolver.resolve(SeccompProfile.parse("""
                {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "a", "names": ["b"], "action": "SCMP_ACT_ERRNO"}]}
                """), capabilities: [], host: amd64)
        }
        #expect(throws: SecurityOptionError(
            "Decoding seccomp profile failed: invalid kernel version: \"4\", expected \"<kernel>.<major>\"")) {
            try SeccompProfile.parse(#"{"syscalls": [{"names": ["a"], "action": "x", "includes": {"minKernel": "4"}}]}"#)
        }
        for bad in ["{notjson", #"{"defaultAction": 5}"#, #"{"syscalls": {}}"#] {
            do {
                _ = try SeccompProfile.parse(bad)
                Issue.record("\(bad) was accepted")
            } catch let error as SecurityOptionError {
                #expect(error.message.hasPrefix("Decoding seccomp profile failed: "), "\(error)")
            }
        }
    }

    @Test func kernelVersions() {
        #expect(KernelVersion(release: "6.18.44-fc-v1272") == KernelVersion(6, 18))
        #expect(KernelVersion(release: "3.12-1-amd64") == KernelVersion(3, 12))
        #expect(KernelVersion(release: "4.8rc5") == KernelVersion(4, 8))
        #expect(KernelVersion(release: "garbage") == nil)
        #expect(KernelVersion(4, 8) < KernelVersion(4, 10) && KernelVersion(5, 0) > KernelVersion(4, 99))
    }
}
