import Foundation
import ShoalTestSupport
import Testing

/// The single-host engine driven by the stock docker CLI against a real daemon, runc and conmon.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ContainerLifecycleTests {
    @Test func versionAndInfoDescribeTheDaemon() async throws {
        try await TestRun.with("info") { run in
            let daemon = try await DaemonFixture(run)
            #expect(try await daemon.dockerOK(["version", "--format", "{{.Server.APIVersion}}"]) == "1.41")
            try await daemon.loadBusybox()
            _ = try await daemon.dockerOK(["run", "-d", "busybox", "sleep", "100"])
            let info = try await daemon.dockerOK(["info", "--format",
                                                  "{{.Containers}} {{.ContainersRunning}} {{.Images}} {{.Driver}} {{.CgroupDriver}} {{.DockerRootDir}}"])
            #expect(info == "1 1 1 overlay cgroupfs \(daemon.dataRoot)")
        }
    }

    @Test func runReportsTheExitCodeAndStreamsBothOutputs() async throws {
        try await TestRun.with("exit") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let result = try await daemon.docker(["run", "--rm", "busybox", "sh", "-c", "echo to-out; echo to-err >&2; exit 3"])
            #expect(result.status == 3)
            #expect(result.stdout == "to-out\n")
            #expect(result.stderr == "to-err\n")
            // --rm removed it.
            #expect(try await daemon.dockerOK(["ps", "-aq"]) == "")
        }
    }

    @Test func commandNotFoundIs127AndNotExecutableIs126() async throws {
        try await TestRun.with("codes") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let missing = try await daemon.docker(["run", "--rm", "busybox", "no-such-command"])
            #expect(missing.status == 127, "\(missing.stderr)")
            #expect(missing.stderr.contains("executable file not found"))
            let notExecutable = try await daemon.docker(["run", "--rm", "busybox", "/etc/passwd"])
            #expect(notExecutable.status == 126, "\(notExecutable.stderr)")
            // A daemon-side error (unknown image, no registry to pull from) is 125.
            let unknown = try await daemon.docker(["run", "--rm", "--pull", "never", "no-such-image:1"])
            #expect(unknown.status == 125)
            #expect(unknown.stderr.contains("No such image: no-such-image:1"))
            // Nothing of the failed runs is left behind.
            #expect(try await daemon.dockerOK(["ps", "-aq"]) == "")
            #expect(DaemonFixture.mounts(under: [daemon.dataRoot]).isEmpty)
        }
    }

    @Test func detachedContainerLifecycle() async throws {
        try await TestRun.with("life") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let id = try await daemon.dockerOK(["run", "-d", "--name", "web", "-l", "tier=front", "busybox", "sleep", "1000"])
            #expect(id.count == 64)
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Status}} {{.Name}} {{.Config.Labels.tier}}", "web"])
                == "running /web front")
            #expect(try await daemon.dockerOK(["ps", "--format", "{{.Names}} {{.Status}}"]).hasPrefix("web Up"))
            #expect(try await daemon.dockerOK(["ps", "-q", "--filter", "label=tier=front"]) == String(id.prefix(12)))
            #expect(try await daemon.dockerOK(["ps", "-q", "--filter", "label=tier=back"]) == "")

            let duplicate = try await daemon.docker(["run", "-d", "--name", "web", "busybox", "true"])
            #expect(duplicate.status == 125)
            #expect(duplicate.stderr.contains("is already in use by container"))

            let refused = try await daemon.docker(["rm", "web"])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("You cannot remove a running container"))

            try await daemon.dockerOK(["pause", "web"])
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Status}}", "web"]) == "paused")
            try await daemon.dockerOK(["unpause", "web"])

            // sleep ignores SIGTERM as pid 1 with no handler: stop escalates to SIGKILL after -t.
            try await daemon.dockerOK(["stop", "-t", "1", "web"])
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "web"]) == "exited 137")
            try await daemon.dockerOK(["start", "web"])
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Running}}", "web"]) == "true")
            try await daemon.dockerOK(["rename", "web", "web2"])
            try await daemon.dockerOK(["rm", "-f", "web2"])
            #expect(try await daemon.dockerOK(["ps", "-aq"]) == "")
            #expect(DaemonFixture.mounts(under: [daemon.dataRoot]).isEmpty)
        }
    }

    @Test func killSendsTheSignalAndWaitReturnsTheCode() async throws {
        try await TestRun.with("kill") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["run", "-d", "--name", "kk", "busybox", "sh", "-c",
                                       "trap 'exit 42' USR1; echo ready; while true; do sleep 0.1; done"])
            // The kernel drops a signal sent to a namespace's pid 1 before it has a handler: wait for the trap.
            let ready = try await HealthcheckTests.poll("ready") { try await daemon.dockerOK(["logs", "kk"]) }
            #expect(ready == "ready")
            try await daemon.dockerOK(["kill", "-s", "USR1", "kk"])
            #expect(try await daemon.dockerOK(["wait", "kk"]) == "42")
            let notRunning = try await daemon.docker(["kill", "kk"])
            #expect(notRunning.status != 0)
            #expect(notRunning.stderr.contains("is not running"))
            // SIGKILL (the default) returns once the container stopped: rm right after works.
            try await daemon.dockerOK(["run", "-d", "--name", "k2", "busybox", "sleep", "1000"])
            try await daemon.dockerOK(["kill", "k2"])
            try await daemon.dockerOK(["rm", "k2"])
            // Parallel creates without names never collide on a generated name.
            let failed = await withTaskGroup(of: String.self) { group in
                for _ in 0..<16 {
                    group.addTask { (try? await daemon.docker(["create", "busybox", "true"]))?.stderr ?? "no result" }
                }
                return await group.reduce(into: [String]()) { $0.append($1) }.filter { !$0.isEmpty }
            }
            #expect(failed.isEmpty, "\(failed)")
            #expect(Set(try await daemon.dockerOK(["ps", "-a", "--format", "{{.Names}}"]).split(separator: "\n")).count == 17)
        }
    }

    @Test func logsTailTimestampsAndFollow() async throws {
        try await TestRun.with("logs") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["run", "--name", "lg", "busybox", "sh", "-c", "for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2"])
            let all = try await daemon.docker(["logs", "lg"])
            #expect(all.stdout == "line1\nline2\nline3\nline4\nline5\n")
            #expect(all.stderr == "oops\n")
            #expect(try await daemon.dockerOK(["logs", "--tail", "2", "lg"]) == "line5")
            // The last line overall is the stderr one: --tail counts both streams, as in Docker.
            let stamped = try await daemon.dockerOK(["logs", "-t", "--tail", "2", "lg"])
            #expect(stamped.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z line5$"#, options: .regularExpression) != nil)
            // --since keeps only what was written after the given time.
            try await daemon.dockerOK(["run", "-d", "--name", "sn", "busybox", "sh", "-c", "echo early; sleep 2; echo late; sleep 100"])
            try await Task.sleep(for: .seconds(1))
            let cut = String(Int(Date().timeIntervalSince1970))
            try await Task.sleep(for: .seconds(2))
            #expect(try await daemon.dockerOK(["logs", "--since", cut, "sn"]) == "late")
            // -f on a running container returns once it exits, with everything it wrote.
            try await daemon.dockerOK(["run", "-d", "--name", "fo", "busybox", "sh", "-c", "echo a; sleep 1; echo b"])
            #expect(try await daemon.dockerOK(["logs", "-f", "fo"]) == "a\nb")
        }
    }

    @Test func execRunsInTheContainerWithUserWorkdirAndEnv() async throws {
        try await TestRun.with("exec") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["run", "-d", "--name", "ex", "-e", "A=1", "busybox", "sleep", "1000"])
            #expect(try await daemon.dockerOK(["exec", "ex", "sh", "-c", "echo $A"]) == "1")
            #expect(try await daemon.dockerOK(["exec", "-u", "app", "-w", "/tmp", "-e", "B=2", "ex", "sh", "-c", "id -u; pwd; echo $B"])
                == "1000\n/tmp\n2")
            let failing = try await daemon.docker(["exec", "ex", "sh", "-c", "exit 7"])
            #expect(failing.status == 7)
            #expect(try await daemon.dockerOK(["exec", "-i", "ex", "cat"], stdin: "piped\n") == "piped")
            // As Docker: a command that cannot run is reported in the stream and exits 127 (not found) or 126.
            let missing = try await daemon.docker(["exec", "ex", "no-such-command"])
            #expect(missing.status == 127, "\(missing.stdout) \(missing.stderr)")
            #expect((missing.stdout + missing.stderr).contains("OCI runtime exec failed"))
            #expect((missing.stdout + missing.stderr).contains("executable file not found"))
            let notExecutable = try await daemon.docker(["exec", "ex", "/etc/passwd"])
            #expect(notExecutable.status == 126, "\(notExecutable.stdout) \(notExecutable.stderr)")
            let detached = try await daemon.docker(["exec", "-d", "ex", "no-such-command"])
            #expect(detached.status != 0)
            #expect(detached.stderr.contains("executable file not found"))
        }
    }

    @Test func runOptionsReachTheContainer() async throws {
        try await TestRun.with("opts") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let out = try await daemon.dockerOK(["run", "--rm", "-h", "box", "-w", "/tmp", "-u", "1000:1000", "-e", "X=y",
                                                 "busybox", "sh", "-c", "hostname; pwd; id -u; id -g; echo $X"])
            #expect(out == "box\n/tmp\n1000\n1000\ny")
            let readOnly = try await daemon.docker(["run", "--rm", "--read-only", "busybox", "touch", "/x"])
            #expect(readOnly.status != 0)
            #expect(try await daemon.dockerOK(["run", "--rm", "--read-only", "--tmpfs", "/scratch", "busybox", "sh", "-c",
                                               "touch /scratch/x && echo ok"]) == "ok")
            #expect(try await daemon.dockerOK(["run", "--rm", "--entrypoint", "echo", "busybox", "hi"]) == "hi")
            #expect(try await daemon.dockerOK(["run", "--rm", "-m", "64m", "busybox", "cat",
                                               "/sys/fs/cgroup/memory/memory.limit_in_bytes"]) == "67108864")
            #expect(try await daemon.dockerOK(["run", "--rm", "--pids-limit", "50", "busybox", "cat",
                                               "/sys/fs/cgroup/pids/pids.max"]) == "50")
            #expect(try await daemon.dockerOK(["run", "--rm", "--init", "busybox", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '"])
                .hasPrefix("/sbin/docker-init"))
            #expect(try await daemon.dockerOK(["run", "--rm", "--cpus", "0.5", "busybox", "cat",
                                               "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"]) == "50000")
            // Privileged containers see the host's devices and may mount.
            #expect(try await daemon.dockerOK(["run", "--rm", "--privileged", "busybox", "sh", "-c",
                                               "mkdir /m && mount -t tmpfs none /m && echo mounted"]) == "mounted")
            #expect(try await daemon.docker(["run", "--rm", "busybox", "sh", "-c", "mkdir /m && mount -t tmpfs none /m"]).status != 0)
            // NET_ADMIN is not in Docker's default set: --cap-add grants it.
            #expect(try await daemon.docker(["run", "--rm", "busybox", "ip", "link", "set", "lo", "mtu", "1500"]).status != 0)
            #expect(try await daemon.dockerOK(["run", "--rm", "--cap-add", "NET_ADMIN", "busybox", "sh", "-c",
                                               "ip link set lo mtu 1500 && echo ok"]) == "ok")
            let envFile = run.path("env")
            try "FROM_FILE=yes\n# comment\n".write(toFile: envFile, atomically: true, encoding: .utf8)
            #expect(try await daemon.dockerOK(["run", "--rm", "--env-file", envFile, "busybox", "sh", "-c", "echo $FROM_FILE"]) == "yes")
            let capsDropped = try await daemon.docker(["run", "--rm", "--cap-drop", "CHOWN", "busybox", "chown", "1000", "/tmp"])
            #expect(capsDropped.status != 0)
            #expect(try await daemon.dockerOK(["run", "--rm", "--network", "host", "busybox", "hostname"])
                == (try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    @Test func volumesKeepDataAcrossContainers() async throws {
        try await TestRun.with("vol") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["volume", "create", "data"])
            try await daemon.dockerOK(["run", "--rm", "-v", "data:/data", "busybox", "sh", "-c", "echo kept > /data/f"])
            #expect(try await daemon.dockerOK(["run", "--rm", "--mount", "type=volume,source=data,target=/d", "busybox", "cat", "/d/f"]) == "kept")
            #expect(try await daemon.dockerOK(["volume", "ls", "-q"]) == "data")
            let host = run.path("bind")
            try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
            try "from-host".write(toFile: host + "/h", atomically: true, encoding: .utf8)
            #expect(try await daemon.dockerOK(["run", "--rm", "-v", "\(host):/h:ro", "busybox", "cat", "/h/h"]) == "from-host")
            #expect(try await daemon.docker(["run", "--rm", "-v", "\(host):/h:ro", "busybox", "touch", "/h/x"]).status != 0)

            try await daemon.dockerOK(["run", "-d", "--name", "user", "-v", "data:/data", "busybox", "sleep", "100"])
            let inUse = try await daemon.docker(["volume", "rm", "data"])
            #expect(inUse.status != 0)
            #expect(inUse.stderr.contains("volume is in use"))
            try await daemon.dockerOK(["rm", "-f", "user"])
            try await daemon.dockerOK(["volume", "rm", "data"])
            #expect(try await daemon.dockerOK(["volume", "ls", "-q"]) == "")

            // An anonymous volume lives as long as its container when removed with -v.
            try await daemon.dockerOK(["run", "-d", "--name", "anon", "-v", "/scratch", "busybox", "sleep", "100"])
            let anonymous = try await daemon.dockerOK(["volume", "ls", "-q"])
            #expect(anonymous.count == 64)
            #expect(try await daemon.dockerOK(["volume", "ls", "-q", "--filter", "dangling=true"]) == "")
            try await daemon.dockerOK(["rm", "-f", "-v", "anon"])
            #expect(try await daemon.dockerOK(["volume", "ls", "-q"]) == "")
            #expect(!FileManager.default.fileExists(atPath: daemon.dataRoot + "/volumes/" + anonymous))
            try await daemon.dockerOK(["volume", "create", "--label", "keep=no", "scratch2"])
            #expect(try await daemon.dockerOK(["volume", "inspect", "-f", "{{.Driver}} {{.Labels.keep}}", "scratch2"]) == "local no")
            #expect(try await daemon.dockerOK(["volume", "prune", "-f", "--filter", "all=true"]).contains("scratch2"))
            #expect(try await daemon.dockerOK(["volume", "ls", "-q"]) == "")
        }
    }

    @Test func restartPolicyOnFailureRetriesThenStops() async throws {
        try await TestRun.with("policy") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["run", "-d", "--name", "rp", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 1"])
            let deadline = Date().addingTimeInterval(15)
            var state = ""
            while Date() < deadline {
                state = try await daemon.dockerOK(["inspect", "-f", "{{.State.Status}} {{.RestartCount}}", "rp"])
                if state == "exited 2" { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(state == "exited 2")
        }
    }

    @Test func containersSurviveADaemonRestart() async throws {
        try await TestRun.with("restart") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["run", "-d", "--name", "keep", "busybox", "sh", "-c", "echo before; sleep 1000"])
            try await daemon.dockerOK(["run", "-d", "--name", "ends", "busybox", "sh", "-c", "sleep 1; exit 5"])
            try await daemon.dockerOK(["run", "-d", "--name", "always", "--restart", "always", "busybox", "sleep", "1000"])
            // unless-stopped: a container the user stopped stays stopped across a daemon restart.
            try await daemon.dockerOK(["run", "-d", "--name", "stopped", "--restart", "unless-stopped", "busybox", "sleep", "1000"])
            try await daemon.dockerOK(["stop", "-t", "0", "stopped"])
            let pid = try await daemon.dockerOK(["inspect", "-f", "{{.State.Pid}}", "keep"])
            let endsPid = Int32(try await daemon.dockerOK(["inspect", "-f", "{{.State.Pid}}", "ends"])) ?? 0
            // A client waiting on `keep` is still connected when the daemon stops: its wait ends with the stop
            // (the stop no longer sits out the grace period for it; the time is printed, not asserted).
            let waiting = try Shell.start(DaemonFixture.docker, ["wait", "keep"], environment: daemon.environment,
                                          log: run.path("wait.log"))
            run.onCleanup("docker wait") { await waiting.kill() }
            // Until the client is connected to the daemon's socket.
            for _ in 0..<200 where !(try await Shell.run("/usr/bin/ss", ["-xp"]).stdout.contains("pid=\(waiting.pid),")) {
                try await Task.sleep(for: .milliseconds(50))
            }
            let stopping = ContinuousClock.now
            await daemon.stopDaemon()
            print("daemon: stopped \(ContinuousClock.now - stopping) after SIGTERM with a docker wait pending")
            let waited = try await waiting.wait(timeout: .seconds(30))
            #expect(waited != nil && waited != .exited(0), "\(String(describing: waited))")
            // While the daemon is down: the container keeps running and the other one exits (waited for by its
            // pid: the daemon now stops at once, and a loaded machine may start `sleep 1` late).
            #expect(DaemonFixture.isAlive(Int32(pid)!))
            for _ in 0..<300 where endsPid > 0 && DaemonFixture.isAlive(endsPid) {
                try await Task.sleep(for: .milliseconds(100))
            }
            try await Task.sleep(for: .seconds(2))
            try await daemon.start()
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Status}} {{.State.Pid}}", "keep"]) == "running \(pid)")
            let ends = try await daemon.dockerOK(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "ends"])
            #expect(ends == "exited 5", "\(ends)")
            #expect(try await daemon.dockerOK(["logs", "keep"]) == "before")
            #expect(try await daemon.dockerOK(["ps", "--format", "{{.Names}}"]).split(separator: "\n").sorted() == ["always", "keep"])
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Status}}", "stopped"]) == "exited")
            try await daemon.dockerOK(["stop", "-t", "1", "keep"])
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Status}}", "keep"]) == "exited")
        }
    }
}
