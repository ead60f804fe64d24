@testable import ShoalRuntime
import Testing

/// `--security-opt` as dockerd reads it.
@Suite struct SecurityOptionsTests {
    @Test func optionsDockerAccepts() throws {
        #expect(try SecurityOptions.parse([]) == SecurityOptions())
        #expect(try SecurityOptions.parse(["no-new-privileges"]).noNewPrivileges)
        #expect(try SecurityOptions.parse(["no-new-privileges=true"]).noNewPrivileges)
        #expect(try SecurityOptions.parse(["no-new-privileges:1"]).noNewPrivileges)
        #expect(try !SecurityOptions.parse(["no-new-privileges", "no-new-privileges=false"]).noNewPrivileges)
        #expect(try SecurityOptions.parse(["seccomp=unconfined"]).seccomp == .unconfined)
        #expect(try SecurityOptions.parse(["seccomp=builtin"]).seccomp == .builtin)
        #expect(try SecurityOptions.parse([#"seccomp={"defaultAction":"SCMP_ACT_LOG"}"#]).seccomp
            == .profile(SeccompProfile(defaultAction: "SCMP_ACT_LOG")))
        // Without SELinux or AppArmor on the host Docker keeps these and applies nothing.
        let labelled = try SecurityOptions.parse(["label=disable", "label=type:svirt_apache_t", "apparmor=custom"])
        #expect(labelled.labels == ["disable", "type:svirt_apache_t"] && labelled.appArmorProfile == "custom")
        #expect(try SecurityOptions.parse(["writable-cgroups=false"]).writableCgroups == false)
    }

    @Test func optionsDockerRefuses() {
        #expect(throws: SecurityOptionError("invalid --security-opt 1: \"foo\"")) { try SecurityOptions.parse(["foo"]) }
        #expect(throws: SecurityOptionError("invalid --security-opt 2: \"foo=bar\"")) {
            try SecurityOptions.parse(["foo=bar"])
        }
        #expect(throws: SecurityOptionError("invalid --security-opt 2: \"no-new-privileges=maybe\"")) {
            try SecurityOptions.parse(["no-new-privileges=maybe"])
        }
        #expect(throws: SecurityOptionError.self) { try SecurityOptions.parse(["seccomp={\"defaultAction\": 5}"]) }
    }
}
