import Foundation
import ShoalCore
import ShoalOS
@testable import ShoalRuntime
import Testing

/// Docker's AppArmor rules as pure functions: the profile each container gets with and without AppArmor on the
/// host, and the default profile's text (its deny rules are what keeps a container off the kernel's knobs).
@Suite struct AppArmorProfileTests {
    let root = ExecUser(uid: 0, gid: 0, additionalGids: [], home: "/root")

    @Test func profileChoiceFollowsDocker() {
        // With AppArmor: the named profile, else unconfined when privileged, else docker-default.
        #expect(AppArmorProfile.choose(requested: nil, privileged: false, hostHasAppArmor: true) == "docker-default")
        #expect(AppArmorProfile.choose(requested: "", privileged: false, hostHasAppArmor: true) == "docker-default")
        #expect(AppArmorProfile.choose(requested: nil, privileged: true, hostHasAppArmor: true) == "unconfined")
        #expect(AppArmorProfile.choose(requested: "custom", privileged: true, hostHasAppArmor: true) == "custom")
        #expect(AppArmorProfile.choose(requested: "unconfined", privileged: false, hostHasAppArmor: true) == "unconfined")
        // Without: nothing, whatever was asked (dockerd 20.10 accepts the option and applies nothing).
        for requested in [nil, "custom", "unconfined"] {
            for privileged in [false, true] {
                #expect(AppArmorProfile.choose(requested: requested, privileged: privileged, hostHasAppArmor: false) == nil)
            }
        }
    }

    @Test func specCarriesTheChosenProfile() throws {
        let withAppArmor = SeccompResolver.Host(nativeArch: "amd64", kernel: KernelVersion(6, 18), hasAppArmor: true)
        let without = SeccompResolver.Host(nativeArch: "amd64", kernel: KernelVersion(6, 18), hasAppArmor: false)
        var options = ContainerSpecOptions(id: "a", rootfs: "/r", args: ["sh"])
        #expect(try SpecBuilder.build(options, user: root, host: withAppArmor).process.apparmorProfile == "docker-default")
        #expect(try SpecBuilder.build(options, user: root, host: without).process.apparmorProfile == nil)
        options.privileged = true
        #expect(try SpecBuilder.build(options, user: root, host: withAppArmor).process.apparmorProfile == "unconfined")
    }

    @Test func defaultProfileDeniesWhatDockersDenies() {
        let modern = AppArmorProfile.text(environment: .init(parserVersion: 300_008, hasGlobalTunables: true,
                                                              hasBaseAbstraction: true, daemonProfile: "shoald"))
        for rule in [
            "deny @{PROC}/* w,",
            "deny @{PROC}/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9]*}/** w,",
            "deny @{PROC}/sys/[^k]** w,",
            "deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w,",
            "deny @{PROC}/sysrq-trigger rwklx,",
            "deny @{PROC}/kcore rwklx,",
            "deny mount,",
            "deny /sys/[^f]*/** wklx,",
            "deny /sys/f[^s]*/** wklx,",
            "deny /sys/fs/[^c]*/** wklx,",
            "deny /sys/fs/c[^g]*/** wklx,",
            "deny /sys/fs/cg[^r]*/** wklx,",
            "deny /sys/firmware/** rwklx,",
            "deny /sys/kernel/security/** rwklx,",
            "network,", "capability,", "file,", "umount,",
            "signal (receive) peer=unconfined,",
            "signal (receive) peer=shoald,",
            "signal (send,receive) peer=docker-default,",
            "ptrace (trace,read,tracedby,readby) peer=docker-default,",
        ] {
            #expect(modern.contains("  " + rule + "\n"), "missing: \(rule)")
        }
        #expect(modern.hasPrefix("#include <tunables/global>\n"))
        #expect(modern.contains("profile docker-default flags=(attach_disconnected,mediate_deleted) {\n  #include <abstractions/base>\n"))
        #expect(modern.hasSuffix("}\n"))

        // An old parser gets neither signal nor ptrace rules; a host without tunables defines @{PROC} itself.
        let old = AppArmorProfile.text(environment: .init(parserVersion: 208_094, hasGlobalTunables: false,
                                                           hasBaseAbstraction: false))
        #expect(old.hasPrefix("@{PROC}=/proc/\n"))
        #expect(!old.contains("signal") && !old.contains("ptrace") && !old.contains("#include"))
        #expect(old.contains("  deny mount,\n"))
    }

    /// The host's apparmor_parser (the apparmor package, which install-deps.sh installs) compiles the profile it
    /// would load, for this host's policy files and parser version, without loading it (`-Q`: none here).
    @Test func theParserCompilesTheProfile() async throws {
        let parser = "/usr/sbin/apparmor_parser"
        let version = try await Command.run(parser, ["--version"])
        let number = try #require(AppArmorProfile.parserVersion(version.stdoutText))
        let text = AppArmorProfile.text(environment: .init(
            parserVersion: number, hasGlobalTunables: FileManager.default.fileExists(atPath: "/etc/apparmor.d/tunables/global"),
            hasBaseAbstraction: FileManager.default.fileExists(atPath: "/etc/apparmor.d/abstractions/base")))
        let file = FileManager.default.temporaryDirectory.path + "/docker-default-test-" + Identifier.random().prefix(12)
        try text.write(toFile: file, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let compiled = try await Command.run(parser, ["-Q", "-K", "-o", "/dev/null", file])
        #expect(compiled.status == .exited(0), "\(compiled.stderrText)")
        // A broken rule is refused: the check above can fail.
        let broken = text.replacingOccurrences(of: "deny mount,", with: "deny frobnicate,")
        try broken.write(toFile: file, atomically: false, encoding: .utf8)
        #expect(try await Command.run(parser, ["-Q", "-K", "-o", "/dev/null", file]).status != .exited(0))
    }

    @Test func parserVersionAndLoadedList() {
        #expect(AppArmorProfile.parserVersion("AppArmor parser version 3.0.8\nCopyright (C) 1999-2008 Novell Inc.\n") == 300_008)
        #expect(AppArmorProfile.parserVersion("AppArmor parser version 2.10.95-0ubuntu2") == 210_095)
        #expect(AppArmorProfile.parserVersion("AppArmor parser version 2.9~beta") == 209_000)
        #expect(AppArmorProfile.parserVersion("nonsense") == nil)
        let profiles = "docker-defaults (enforce)\nman_groff (enforce)\ndocker-default (enforce)\n"
        #expect(AppArmorProfile.isLoaded("docker-default", profiles: profiles))
        #expect(!AppArmorProfile.isLoaded("docker-default", profiles: "docker-defaults (enforce)\n"))
    }
}
