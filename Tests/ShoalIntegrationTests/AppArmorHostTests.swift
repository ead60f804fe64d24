import Foundation
import ShoalTestSupport
import Testing

/// AppArmor as Docker 20.10 applies it, on the host at hand. This machine's kernel has none (no
/// /sys/module/apparmor): no profile in the container's spec, no label on its processes, `docker info` without
/// `name=apparmor`, and a profile named with `--security-opt apparmor=…` accepted and ignored. On a host with
/// AppArmor the same containers get docker-default, the named profile, and unconfined for `--privileged`.
@Suite(.serialized, .timeLimit(.minutes(2))) struct AppArmorHostTests {
    @Test func containersGetTheProfileDockerWouldGive() async throws {
        let hasAppArmor = FileManager.default.fileExists(atPath: "/sys/module/apparmor")
        try await TestRun.with("apparmor") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let options = try await daemon.dockerOK(["info", "--format", "{{json .SecurityOptions}}"])
            #expect(options.contains("name=seccomp") && options.contains("name=apparmor") == hasAppArmor, "\(options)")

            for (name, extra, confined) in [
                ("plain", [String](), "docker-default"),
                ("named", ["--security-opt", "apparmor=unconfined"], "unconfined"),
                ("privileged", ["--privileged"], "unconfined"),
            ] {
                try await daemon.dockerOK(["run", "-d", "--name", name, "--network", "none"] + extra
                                          + ["busybox", "sleep", "60"])
                let id = try await daemon.dockerOK(["inspect", "--format", "{{.Id}}", name])
                // The spec runc was given (runc would fail to apply a profile on a kernel without AppArmor).
                let config = try Data(contentsOf: URL(fileURLWithPath: daemon.dataRoot + "/containers/\(id)/config.json"))
                let process = try #require((try JSONSerialization.jsonObject(with: config) as? [String: Any])?["process"]
                    as? [String: Any])
                #expect(process["apparmorProfile"] as? String == (hasAppArmor ? confined : nil), "\(name)")
                // The label the kernel reports for the container's process: none without an LSM to answer.
                let label = try await daemon.docker(["exec", name, "cat", "/proc/self/attr/current"])
                if hasAppArmor {
                    #expect(label.stdout.hasPrefix(confined), "\(name): \(label.stdout)")
                } else {
                    #expect(label.status != 0 && label.stdout.isEmpty, "\(name): \(label.stdout)")
                }
            }
        }
    }
}
