import Foundation
import Glibc
import ShoalCore
import ShoalOS
@testable import ShoalRuntime
import ShoalTestSupport
import Testing

/// Real runc + conmon. Serialized: they share the host's cgroup tree and are timing-sensitive on 2 cores.
@Suite(.serialized) struct ConmonRuntimeTests {
    @Test func outputExitCodeAndLog() async throws {
        try await RuntimeFixture.with { fx in
            let (id, bundle, log) = try fx.newContainer()
            let session = try #require(try await fx.create(
                fx.options(id, ["sh", "-c", "echo out; echo err >&2; printf partial; exit 3"]), bundle: bundle, log: log))
            #expect(try await fx.runtime.state(id: id).status == .created)
            try await fx.runtime.start(id: id)
            let output = try await RuntimeFixture.collect(session)
            #expect(output.stdout == "out\npartial")
            #expect(output.stderr == "err\n")
            #expect(try await fx.runtime.waitForExit(id: id) == 3)
            #expect(fx.runtime.exitCode(id: id) == 3)
            #expect(try await fx.runtime.state(id: id).status == .stopped)

            var entries: [LogEntry] = []
            for try await entry in fx.runtime.logs(id: id, logPath: log, options: LogOptions(follow: true)) {
                entries.append(entry)
            }
            let texts = entries.map { "\($0.stream):" + String(decoding: $0.bytes, as: UTF8.self) }
            #expect(Set(texts) == ["stdout:out\n", "stderr:err\n", "stdout:partial"])

            var tail: [String] = []
            for try await entry in fx.runtime.logs(id: id, logPath: log, options: LogOptions(stderr: false, tail: 1)) {
                tail.append(String(decoding: entry.bytes, as: UTF8.self))
            }
            #expect(tail == ["partial"] || tail == ["out\n", "partial"])

            let conmon = try #require(try FileIO.readString(fx.paths.conmonPidFile(id)).flatMap { Int32($0) })
            try await fx.runtime.delete(id: id)
            #expect(try await fx.assertGone(id, conmonPid: conmon) == [])
        }
    }

    @Test func executableNotFoundLeavesNothing() async throws {
        try await RuntimeFixture.with { fx in
            let (id, bundle, log) = try fx.newContainer()
            await #expect {
                _ = try await fx.create(fx.options(id, ["nosuchcmd"]), bundle: bundle, log: log, attach: false)
            } throws: { error in
                guard let error = error as? ShoalError else { return false }
                return error.message.contains("executable file not found") && error.code == .invalidArgument
            }
            #expect(try await fx.assertGone(id, conmonPid: nil) == [])
            #expect(!ProcessWatch.isAlive(Int32(String(decoding: (try? FileIO.readFile(fx.paths.conmonPidFile(id))) ?? [], as: UTF8.self)) ?? -1))
        }
    }

    @Test func killWithSignalsGivesDockerCodes() async throws {
        try await RuntimeFixture.with { fx in
            // pid 1 ignores SIGTERM without a handler: --init (tini) forwards it, the way `docker run --init` does.
            let (id, bundle, log) = try fx.newContainer()
            var options = fx.options(id, ["sleep", "100"])
            options.initProcess = true
            _ = try await fx.create(options, bundle: bundle, log: log, attach: false)
            try await fx.runtime.start(id: id)
            // tini drops signals that arrive before it installs its handlers: wait until it has started the command.
            while try await fx.runtime.ps(id: id).processes.count < 2 { try await Task.sleep(for: .milliseconds(5)) }
            try await fx.runtime.kill(id: id, signal: SIGTERM)
            #expect(try await fx.runtime.waitForExit(id: id) == 143)
            try await fx.runtime.delete(id: id)

            let second = try fx.newContainer()
            _ = try await fx.create(fx.options(second.id, ["sleep", "100"]), bundle: second.bundle, log: second.log, attach: false)
            try await fx.runtime.start(id: second.id)
            try await fx.runtime.kill(id: second.id, signal: SIGKILL)
            #expect(try await fx.runtime.waitForExit(id: second.id) == 137)
            try await fx.runtime.delete(id: second.id)
            #expect(try await fx.assertGone(second.id, conmonPid: nil) == [])
        }
    }

    @Test func pauseResumeStatsAndTop() async throws {
        try await RuntimeFixture.with { fx in
            let (id, bundle, log) = try fx.newContainer()
            var options = fx.options(id, ["sleep", "100"])
            options.memory = 64 << 20
            options.pidsLimit = 20
            options.cpus = 0.5
            _ = try await fx.create(options, bundle: bundle, log: log, attach: false)
            try await fx.runtime.start(id: id)
            #expect(try await fx.runtime.state(id: id).status == .running)
            #expect(try FileIO.readString("/sys/fs/cgroup/memory/shoal/\(id)/memory.limit_in_bytes")?
                .trimmingCharacters(in: .whitespacesAndNewlines) == "\(64 << 20)")
            #expect(try FileIO.readString("/sys/fs/cgroup/cpu/shoal/\(id)/cpu.cfs_quota_us")?
                .trimmingCharacters(in: .whitespacesAndNewlines) == "50000")
            let stats = try await fx.runtime.stats(id: id)
            #expect(stats.memoryLimit == 64 << 20)
            #expect(stats.pidsLimit == 20 && stats.pidsCurrent >= 1)
            #expect(stats.memoryUsage > 0 && stats.cpuTotalUsage > 0)

            // `runc start` returns as the init process is told to exec: `ps` may still see it as `runc init`.
            var top = try await fx.runtime.ps(id: id)
            for _ in 0..<40 where top.processes.first?.last != "sleep 100" {
                try await Task.sleep(for: .milliseconds(50))
                top = try await fx.runtime.ps(id: id)
            }
            #expect(top.titles == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"])
            #expect(top.processes.count == 1 && top.processes.first?.last == "sleep 100" && top.processes.first?.first == "root")

            try await fx.runtime.pause(id: id)
            #expect(try await fx.runtime.state(id: id).status == .paused)
            try await fx.runtime.resume(id: id)
            #expect(try await fx.runtime.state(id: id).status == .running)
            try await fx.runtime.delete(id: id, force: true)
            #expect(try await fx.assertGone(id, conmonPid: nil) == [])
        }
    }

    @Test func execWithUserEnvStdinAndExitCode() async throws {
        try await RuntimeFixture.with { fx in
            let (id, bundle, log) = try fx.newContainer()
            _ = try await fx.create(fx.options(id, ["sleep", "100"]), bundle: bundle, log: log, attach: false)
            try await fx.runtime.start(id: id)

            let process = try fx.runtime.execProcess(id: id, args: ["sh", "-c", "id -u; echo $GREETING; pwd; exit 5"],
                                                     env: ["GREETING=hi"], user: "app", workingDir: "/tmp")
            let exec = try await fx.runtime.exec(id: id, process: process, terminal: false, stdin: false)
            let output = try await RuntimeFixture.collect(try #require(exec.attach))
            #expect(output.stdout == "1000\nhi\n/tmp\n")
            #expect(try await exec.wait() == 5)

            let cat = try await fx.runtime.exec(id: id, process: fx.runtime.execProcess(id: id, args: ["cat"]),
                                                terminal: false, stdin: true)
            let attach = try #require(cat.attach)
            try await attach.write(Array("hello\n".utf8))
            attach.closeStdin()
            #expect(try await RuntimeFixture.collect(attach).stdout == "hello\n")
            #expect(try await cat.wait() == 0)

            await #expect(throws: ShoalError.self) {
                _ = try await fx.runtime.exec(id: id, process: fx.runtime.execProcess(id: id, args: ["nosuch"]),
                                              terminal: false, stdin: false)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: fx.paths.execSessions(id)).isEmpty)
            try await fx.runtime.delete(id: id, force: true)
            #expect(try await fx.assertGone(id, conmonPid: nil) == [])
        }
    }

    /// The API starts an exec's process only once the client has the 101 head: a prepared exec has its output
    /// socket but its process has not run; an abandoned one leaves nothing behind.
    @Test func preparedExecRunsOnlyWhenStarted() async throws {
        try await RuntimeFixture.with { fx in
            let (id, bundle, log) = try fx.newContainer()
            _ = try await fx.create(fx.options(id, ["sleep", "100"]), bundle: bundle, log: log, attach: false)
            try await fx.runtime.start(id: id)
            let marker = "/tmp/prepared-marker"
            let touch = try fx.runtime.execProcess(id: id, args: ["sh", "-c", "touch \(marker); echo ran"])
            let prepared = try await fx.runtime.prepareExec(id: id, process: touch, terminal: false, stdin: false)
            try await Task.sleep(for: .milliseconds(300))
            let check = try fx.runtime.execProcess(id: id, args: ["sh", "-c", "test -e \(marker) && echo yes || echo no"])
            let probe = try await fx.runtime.exec(id: id, process: check, terminal: false, stdin: false)
            #expect(try await RuntimeFixture.collect(try #require(probe.attach)).stdout == "no\n")
            #expect(try await probe.wait() == 0)

            let session = try await prepared.start()
            #expect(session.pid > 0)
            #expect(try await RuntimeFixture.collect(try #require(session.attach)).stdout == "ran\n")
            #expect(try await session.wait() == 0)

            let abandoned = try await fx.runtime.prepareExec(
                id: id, process: fx.runtime.execProcess(id: id, args: ["touch", "/tmp/abandoned"]),
                terminal: false, stdin: false)
            await abandoned.abandon()
            await #expect(throws: ShoalError.self) { _ = try await abandoned.start() }
            let after = try await fx.runtime.exec(
                id: id, process: fx.runtime.execProcess(id: id, args: ["sh", "-c", "test -e /tmp/abandoned && echo yes || echo no"]),
                terminal: false, stdin: false)
            #expect(try await RuntimeFixture.collect(try #require(after.attach)).stdout == "no\n")
            #expect(try await after.wait() == 0)
            #expect(try FileManager.default.contentsOfDirectory(atPath: fx.paths.execSessions(id)).isEmpty)
            try await fx.runtime.delete(id: id, force: true)
            #expect(try await fx.assertGone(id, conmonPid: nil) == [])
        }
    }

    @Test func ttyStdinReadOnlyAndUser() async throws {
        try await RuntimeFixture.with { fx in
            let tty = try fx.newContainer()
            var options = fx.options(tty.id, ["sh", "-c", "[ -t 1 ] && echo is-a-tty; echo $TERM"])
            options.terminal = true
            let ttySession = try #require(try await fx.create(options, bundle: tty.bundle, log: tty.log))
            try await fx.runtime.start(id: tty.id)
            #expect(try await RuntimeFixture.collect(ttySession).stdout == "is-a-tty\r\nxterm\r\n")
            #expect(try await fx.runtime.waitForExit(id: tty.id) == 0)

            let stdin = try fx.newContainer()
            let stdinSession = try #require(try await fx.create(fx.options(stdin.id, ["sh", "-c", "read line; echo got:$line"]),
                                                               bundle: stdin.bundle, log: stdin.log, openStdin: true))
            try await fx.runtime.start(id: stdin.id)
            try await stdinSession.write(Array("ping\n".utf8))
            stdinSession.closeStdin()
            #expect(try await RuntimeFixture.collect(stdinSession).stdout == "got:ping\n")

            let readOnly = try fx.newContainer()
            var roOptions = fx.options(readOnly.id, ["touch", "/newfile"])
            roOptions.readOnlyRootfs = true
            let roSession = try #require(try await fx.create(roOptions, bundle: readOnly.bundle, log: readOnly.log))
            try await fx.runtime.start(id: readOnly.id)
            #expect(try await RuntimeFixture.collect(roSession).stderr.contains("Read-only file system"))
            #expect(try await fx.runtime.waitForExit(id: readOnly.id) == 1)

            let user = try fx.newContainer()
            var userOptions = fx.options(user.id, ["id"])
            userOptions.user = "app"
            let userSession = try #require(try await fx.create(userOptions, bundle: user.bundle, log: user.log))
            try await fx.runtime.start(id: user.id)
            #expect(try await RuntimeFixture.collect(userSession).stdout.hasPrefix("uid=1000(app) gid=1000(app)"))

            var badUser = fx.options("x", ["id"])
            badUser.user = "xyz"
            #expect { try fx.spec(badUser) } throws: { error in
                (error as? ShoalError)?.message == "unable to find user xyz: no matching entries in passwd file"
            }
            for container in [tty, stdin, readOnly, user] { try await fx.runtime.delete(id: container.id, force: true) }
        }
    }

    @Test func survivesADaemonRestart() async throws {
        try await RuntimeFixture.with { fx in
            let (id, bundle, log) = try fx.newContainer()
            _ = try await fx.create(fx.options(id, ["sh", "-c", "read x; echo bye:$x; exit 7"]), bundle: bundle, log: log,
                                    openStdin: true, attach: false)
            try await fx.runtime.start(id: id)
            // A new runtime object knows nothing in memory: it finds the container from its id and the dirs.
            let restarted = try ConmonRuntime(paths: fx.paths)
            #expect(try await restarted.state(id: id).status == .running)
            #expect(restarted.exitCode(id: id) == nil)
            async let code = restarted.waitForExit(id: id)
            let attach = try restarted.attach(id: id)
            try await attach.write(Array("now\n".utf8))
            attach.closeStdin()
            #expect(try await RuntimeFixture.collect(attach).stdout == "bye:now\n")
            #expect(try await code == 7)
            var lines: [String] = []
            for try await entry in restarted.logs(id: id, logPath: log, options: LogOptions(follow: true)) {
                lines.append(String(decoding: entry.bytes, as: UTF8.self))
            }
            #expect(lines == ["bye:now\n"])
            try await restarted.delete(id: id)
            #expect(try await fx.assertGone(id, conmonPid: nil) == [])
        }
    }

    @Test func followingLogsSeesLinesAsTheyComeAndEndsAtExit() async throws {
        try await RuntimeFixture.with { fx in
            let (id, bundle, log) = try fx.newContainer()
            _ = try await fx.create(fx.options(id, ["sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.1; done"]),
                                    bundle: bundle, log: log, attach: false)
            let start = LogTimestamp(seconds: Int64(Date().timeIntervalSince1970) - 1)
            let reader = fx.runtime.logs(id: id, logPath: log, options: LogOptions(since: start, follow: true))
            try await fx.runtime.start(id: id)
            var lines: [String] = []
            for try await entry in reader { lines.append(String(decoding: entry.bytes, as: UTF8.self)) }
            #expect(lines == ["line1\n", "line2\n", "line3\n"])
            var none: [LogEntry] = []
            for try await entry in fx.runtime.logs(id: id, logPath: log, options: LogOptions(until: start)) { none.append(entry) }
            #expect(none.isEmpty)
            try await fx.runtime.delete(id: id)
        }
    }

    @Test func ttyResizeExecTtyNetworkNoneAndPrivileged() async throws {
        try await RuntimeFixture.with { fx in
            try FileManager.default.createSymbolicLink(atPath: fx.rootfs + "/bin/stty", withDestinationPath: "busybox")
            let (id, bundle, log) = try fx.newContainer()
            var options = fx.options(id, ["sh", "-c", "read x; stty size; cat /sys/class/net/lo/operstate; ls /sys/class/net"])
            options.terminal = true
            let session = try #require(try await fx.create(options, bundle: bundle, log: log, openStdin: true))
            try await fx.runtime.start(id: id)
            try fx.runtime.resize(id: id, rows: 31, cols: 101)
            try await Task.sleep(for: .milliseconds(50))
            try await session.write(Array("go\n".utf8))
            let output = try await RuntimeFixture.collect(session).stdout
            // The tty echoes our input; then stty's answer; lo is up (runc brings it up in a new netns).
            #expect(output.contains("31 101\r\n"))
            #expect(output.contains("unknown\r\nlo\r\n") || output.contains("up\r\nlo\r\n"))
            _ = try await fx.runtime.waitForExit(id: id)
            try await fx.runtime.delete(id: id)

            let sleeper = try fx.newContainer()
            var privileged = fx.options(sleeper.id, ["sleep", "100"])
            privileged.privileged = true
            let user = try UserResolver.resolve("", rootfs: fx.rootfs)
            try await fx.runtime.create(id: sleeper.id, bundle: sleeper.bundle,
                                        spec: SpecBuilder.build(privileged, user: user, hostDevices: HostDevices.list(),
                                                                allCapabilities: Capabilities.hostBounding()),
                                        logPath: sleeper.log, terminal: false, openStdin: false)
            try await fx.runtime.start(id: sleeper.id)
            let exec = try await fx.runtime.exec(
                id: sleeper.id, process: fx.runtime.execProcess(id: sleeper.id, args: ["sh", "-c", "sleep 0.3; tty; ls /dev/null /dev/zero; grep CapEff /proc/self/status"]),
                terminal: true, stdin: false)
            try exec.resize(rows: 20, cols: 80)
            let execOutput = try await RuntimeFixture.collect(try #require(exec.attach)).stdout
            #expect(execOutput.contains("/dev/pts/"))
            let bounding = try #require(try FileIO.readString("/proc/self/status")?.split(separator: "\n")
                .first { $0.hasPrefix("CapBnd:") }?.dropFirst(7).trimmingCharacters(in: .whitespaces))
            #expect(execOutput.contains("CapEff:\t" + bounding))
            #expect(try await exec.wait() == 0)
            try await fx.runtime.delete(id: sleeper.id, force: true)
            #expect(try await fx.assertGone(sleeper.id, conmonPid: nil) == [])
        }
    }
}
