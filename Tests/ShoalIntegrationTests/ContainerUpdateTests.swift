import Foundation
import ShoalTestSupport
import Testing

/// `docker update` with the stock CLI on a running container: the new limits reach its cgroups at once (read
/// from inside it), inspect shows them and the restart policy, and Docker's refusals change nothing.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ContainerUpdateTests {
    @Test func limitsAndRestartPolicyChangeOnARunningContainer() async throws {
        try await TestRun.with("update") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let name = run.name("upd")
            try await daemon.dockerOK(["run", "-d", "--name", name, "--network", "none", "busybox", "sleep", "1000"])
            #expect(try await daemon.dockerOK(["update", "--memory", "32m", "--memory-swap", "64m", "--cpus", "0.5",
                                               "--cpu-shares", "512", "--pids-limit", "50", "--restart", "on-failure:3",
                                               name]) == name)
            func cgroup(_ file: String) async throws -> String {
                try await daemon.dockerOK(["exec", name, "cat", "/sys/fs/cgroup/" + file])
            }
            #expect(try await cgroup("memory/memory.limit_in_bytes") == "33554432")
            #expect(try await cgroup("cpu/cpu.cfs_quota_us") == "50000")
            #expect(try await cgroup("cpu/cpu.shares") == "512")
            #expect(try await cgroup("pids/pids.max") == "50")
            let shown = try await daemon.dockerOK(["inspect", "-f",
                "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} "
                + "{{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}",
                name])
            #expect(shown == "33554432 67108864 500000000 512 50 on-failure:3", "\(shown)")

            // Refusals leave everything as it was.
            let small = try await daemon.docker(["update", "--memory", "1m", name])
            #expect(small.status != 0 && small.stderr.contains("Minimum memory limit allowed is 6MB"), "\(small)")
            let overSwap = try await daemon.docker(["update", "--memory", "128m", name])
            #expect(overSwap.status != 0 && overSwap.stderr.contains(
                "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"),
                "\(overSwap)")
            #expect(try await cgroup("memory/memory.limit_in_bytes") == "33554432")
            let removed = run.name("rm")
            try await daemon.dockerOK(["run", "-d", "--rm", "--name", removed, "--network", "none", "busybox", "sleep", "1000"])
            let autoRemove = try await daemon.docker(["update", "--restart", "always", removed])
            #expect(autoRemove.status != 0 && autoRemove.stderr.contains(
                "Restart policy cannot be updated because AutoRemove is enabled for the container"), "\(autoRemove)")
            let missing = try await daemon.docker(["update", "--cpus", "1", "nosuch"])
            #expect(missing.status != 0 && missing.stderr.contains("No such container: nosuch"), "\(missing)")

            // A stopped container keeps the new settings and starts with them.
            try await daemon.dockerOK(["stop", "-t", "0", name])
            try await daemon.dockerOK(["update", "--memory", "48m", "--memory-swap", "96m", name])
            try await daemon.dockerOK(["start", name])
            #expect(try await cgroup("memory/memory.limit_in_bytes") == "50331648")
            for container in [name, removed] { _ = try await daemon.docker(["rm", "-f", container]) }
        }
    }
}
