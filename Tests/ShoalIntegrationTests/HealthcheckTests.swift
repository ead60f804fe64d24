import Foundation
import ShoalTestSupport
import Testing

/// Container health checks on one host, through the stock CLI and docker-py: `--health-*` and the image's
/// HEALTHCHECK, `State.Health` in inspect, the `health_status` events, `ps --filter health=…` and the status text,
/// checks that overrun their timeout, checks going on after a daemon restart, and the values Docker refuses.
/// Intervals are short; every wait polls with a bound and nothing asserts on timing.
@Suite(.serialized, .timeLimit(.minutes(4))) struct HealthcheckTests {
    /// Polls `read` until it gives `want` (a bound for a hung check, not a timing check); returns the last value.
    @discardableResult
    static func poll(_ want: String, seconds: Double = 30, _ read: () async throws -> String) async throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var last = ""
        while Date() < deadline {
            last = try await read()
            if last == want { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        return last
    }

    static func health(_ daemon: DaemonFixture, _ name: String) async throws -> String {
        try await daemon.dockerOK(["inspect", "-f", "{{if .State.Health}}{{.State.Health.Status}}{{end}}", name])
    }

    @Test func aCheckTurnsHealthyThenUnhealthyWithEventsFiltersAndStatusText() async throws {
        try await TestRun.with("hc") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let since = String(Int(Date().timeIntervalSince1970) - 1)
            try await daemon.dockerOK(["run", "-d", "--name", "hc", "--health-cmd", "test -f /tmp/ok",
                                       "--health-interval", "200ms", "--health-timeout", "2s", "--health-retries", "2",
                                       "busybox", "sh", "-c", "touch /tmp/ok; sleep 1000"])
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{json .Config.Healthcheck}}", "hc"])
                == #"{"Test":["CMD-SHELL","test -f /tmp/ok"],"Interval":200000000,"Timeout":2000000000,"Retries":2}"#)
            #expect(try await Self.poll("healthy") { try await Self.health(daemon, "hc") } == "healthy")
            #expect(try await daemon.dockerOK(["ps", "--filter", "health=healthy", "--format", "{{.Names}} {{.Status}}"])
                .range(of: #"^hc Up .* \(healthy\)$"#, options: .regularExpression) != nil)
            let log = try await daemon.dockerOK(["inspect", "-f",
                                                 "{{range .State.Health.Log}}{{.ExitCode}}|{{.Output}};{{end}}", "hc"])
            #expect(log.hasSuffix("0|;"), "\(log)")

            try await daemon.dockerOK(["exec", "hc", "rm", "/tmp/ok"])
            #expect(try await Self.poll("unhealthy") { try await Self.health(daemon, "hc") } == "unhealthy")
            let streak = try await daemon.dockerOK(["inspect", "-f", "{{.State.Health.FailingStreak}}", "hc"])
            #expect((Int(streak) ?? 0) >= 2, "\(streak)")
            let entries = try await daemon.dockerOK(["inspect", "-f", "{{len .State.Health.Log}}", "hc"])
            #expect((Int(entries) ?? 0) <= 5 && (Int(entries) ?? 0) >= 2, "\(entries)")
            #expect(try await daemon.dockerOK(["ps", "--filter", "health=unhealthy", "--format", "{{.Names}} {{.Status}}"])
                .hasSuffix("(unhealthy)"))
            #expect(try await daemon.dockerOK(["ps", "--filter", "health=healthy", "-q"]) == "")

            // The events, in order: healthy, then unhealthy.
            let until = String(Int(Date().timeIntervalSince1970) + 1)
            let events = try await daemon.dockerOK(["events", "--since", since, "--until", until, "--filter",
                                                    "container=hc", "--filter", "event=health_status",
                                                    "--format", "{{.Action}}"])
            #expect(events == "health_status: healthy\nhealth_status: unhealthy", "\(events)")

            // Starting: failures within the start period do not count; no check at all: `none`.
            try await daemon.dockerOK(["run", "-d", "--name", "st", "--health-cmd", "false", "--health-interval",
                                       "100ms", "--health-start-period", "1h", "busybox", "sleep", "1000"])
            try await daemon.dockerOK(["run", "-d", "--name", "plain", "busybox", "sleep", "1000"])
            #expect(try await Self.poll("2") {
                let count = try await daemon.dockerOK(["inspect", "-f", "{{len .State.Health.Log}}", "st"])
                return (Int(count) ?? 0) >= 2 ? "2" : count
            } == "2")
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Health.Status}} {{.State.Health.FailingStreak}}",
                                               "st"]) == "starting 0")
            #expect(try await daemon.dockerOK(["ps", "--filter", "health=starting", "--format", "{{.Names}} {{.Status}}"])
                .range(of: #"^st Up .* \(health: starting\)$"#, options: .regularExpression) != nil)
            #expect(try await daemon.dockerOK(["ps", "--filter", "health=none", "--format", "{{.Names}}"]) == "plain")
            let bad = try await daemon.docker(["ps", "--filter", "health=sick"])
            #expect(bad.status != 0 && bad.stderr.contains("Unrecognised filter value for health: sick"), "\(bad.stderr)")

            // A stopped container keeps its last health, and its checks end with it.
            try await daemon.dockerOK(["stop", "-t", "0", "hc"])
            #expect(try await Self.health(daemon, "hc") == "unhealthy")
            #expect(try await daemon.dockerOK(["ps", "-a", "--filter", "health=unhealthy", "--format", "{{.Names}}"]) == "hc")
        }
    }

    @Test func theImagesCheckNoHealthcheckTimeoutsAndLongOutput() async throws {
        try await TestRun.with("hci") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.loadBusybox(as: "checked:latest", cmd: ["sleep", "1000"],
                                         healthcheck: (["CMD", "true"], 200_000_000))
            #expect(try await daemon.dockerOK(["image", "inspect", "-f", "{{json .Config.Healthcheck}}", "checked"])
                == #"{"Test":["CMD","true"],"Interval":200000000}"#)
            try await daemon.dockerOK(["run", "-d", "--name", "img", "checked"])
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{json .Config.Healthcheck}}", "img"])
                == #"{"Test":["CMD","true"],"Interval":200000000}"#)
            #expect(try await Self.poll("healthy") { try await Self.health(daemon, "img") } == "healthy")

            // `docker import --change HEALTHCHECK …` as Docker reads the instruction.
            let rootfs = run.path("rootfs")
            try BusyboxRootfs.make(at: rootfs)
            try await Shell.sh("tar -C \(rootfs) -cf \(run.path("bb.tar")) .")
            try await daemon.dockerOK(["import", "--change", "HEALTHCHECK --interval=200ms --retries=2 CMD [\"true\"]",
                                       run.path("bb.tar"), "imported"])
            #expect(try await daemon.dockerOK(["image", "inspect", "-f", "{{json .Config.Healthcheck}}", "imported"])
                == #"{"Test":["CMD","true"],"Interval":200000000,"Retries":2}"#)

            // The user's fields over the image's; `--no-healthcheck` turns it off.
            try await daemon.dockerOK(["run", "-d", "--name", "over", "--health-retries", "7", "checked"])
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{json .Config.Healthcheck}}", "over"])
                == #"{"Test":["CMD","true"],"Interval":200000000,"Retries":7}"#)
            // (Docker merges the image's fields under NONE too.)
            try await daemon.dockerOK(["run", "-d", "--name", "off", "--no-healthcheck", "checked"])
            let off = try await daemon.dockerOK(["inspect", "-f", "{{json .Config.Healthcheck}} {{json .State.Health}}",
                                                 "off"])
            #expect(off == #"{"Test":["NONE"],"Interval":200000000} null"#, "\(off)")
            #expect(try await daemon.dockerOK(["ps", "--filter", "health=none", "--format", "{{.Names}}"]) == "off")

            // A check that overruns is killed and fails (-1, Docker's words); output is cut at 4096 bytes.
            try await daemon.dockerOK(["run", "-d", "--name", "slow", "--health-cmd", "sleep 30", "--health-timeout",
                                       "300ms", "--health-interval", "100ms", "--health-retries", "1", "busybox",
                                       "sleep", "1000"])
            try await daemon.dockerOK(["run", "-d", "--name", "loud", "--health-cmd", "yes | head -c 5000",
                                       "--health-interval", "200ms", "busybox", "sleep", "1000"])
            #expect(try await Self.poll("unhealthy") { try await Self.health(daemon, "slow") } == "unhealthy")
            #expect(try await daemon.dockerOK(["inspect", "-f",
                                               "{{with index .State.Health.Log 0}}{{.ExitCode}} {{.Output}}{{end}}", "slow"])
                == "-1 Health check exceeded timeout (300ms)")
            // The killed checks are gone (the next one may be running: at most one `sleep 30`).
            let sleeps = try await daemon.dockerOK(["top", "slow"]).split(separator: "\n").filter { $0.hasSuffix("sleep 30") }
            #expect(sleeps.count <= 1, "\(sleeps)")
            #expect(try await Self.poll("healthy") { try await Self.health(daemon, "loud") } == "healthy")
            let output = try await daemon.dockerOK(["inspect", "-f", "{{with index .State.Health.Log 0}}{{.Output}}{{end}}",
                                                    "loud"])
            #expect(output.count == 4099 && output.hasSuffix("y\n...") && output.hasPrefix("y\ny\n"), "\(output.count)")
        }
    }

    @Test func checksGoOnAfterADaemonRestartAndAPause() async throws {
        try await TestRun.with("hcr") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["run", "-d", "--name", "kept", "--health-cmd", "test -f /tmp/ok",
                                       "--health-interval", "200ms", "--health-retries", "1",
                                       "busybox", "sh", "-c", "touch /tmp/ok; sleep 1000"])
            #expect(try await Self.poll("healthy") { try await Self.health(daemon, "kept") } == "healthy")
            await daemon.stopDaemon()
            try await daemon.start()
            // As Docker's restore: the checks start over from `starting`.
            #expect(try await Self.poll("healthy") { try await Self.health(daemon, "kept") } == "healthy")
            // Paused, the checks wait; unpaused, they go on.
            try await daemon.dockerOK(["pause", "kept"])
            #expect(try await daemon.dockerOK(["ps", "--format", "{{.Status}}"]).hasSuffix("(Paused)"))
            try await daemon.dockerOK(["unpause", "kept"])
            try await daemon.dockerOK(["exec", "kept", "rm", "/tmp/ok"])
            #expect(try await Self.poll("unhealthy") { try await Self.health(daemon, "kept") } == "unhealthy")
        }
    }

    @Test func valuesDockerRefusesCreateNothing() async throws {
        try await TestRun.with("hcb") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            for (flag, message) in [("--health-interval", "Interval in Healthcheck cannot be less than 1ms"),
                                    ("--health-timeout", "Timeout in Healthcheck cannot be less than 1ms"),
                                    ("--health-start-period", "StartPeriod in Healthcheck cannot be less than 1ms")] {
                let refused = try await daemon.docker(["run", "-d", "--name", "bad", "--health-cmd", "true", flag, "1ns",
                                                       "busybox", "sleep", "1000"])
                #expect(refused.status == 125 && refused.stderr.contains(message), "\(refused.stderr)")
            }
            // Through the API: 400, and nothing made.
            let py = """
                import docker, sys
                client = docker.DockerClient(base_url="unix://" + sys.argv[1])
                try:
                    client.containers.create("busybox", "sleep 1000", name="bad",
                                             healthcheck={"test": ["CMD", "true"], "retries": -1})
                except docker.errors.APIError as error:
                    print(error.status_code, error.explanation)
                made = client.containers.run("busybox", "sleep 1000", name="py", detach=True,
                                             healthcheck={"test": ["CMD-SHELL", "true"], "interval": 100000000})
                import time
                for _ in range(300):
                    made.reload()
                    if made.health == "healthy":
                        break
                    time.sleep(0.1)
                print(made.health, made.attrs["Config"]["Healthcheck"]["Test"])
                made.remove(force=True)
                """
            let viaPython = try await Shell.run("/usr/bin/env", ["python3", "-c", py, daemon.socket])
            #expect(viaPython.stdout == "400 Retries in Healthcheck cannot be negative\nhealthy ['CMD-SHELL', 'true']\n",
                    "\(viaPython.stdout)\(viaPython.stderr)")
            #expect(try await daemon.dockerOK(["ps", "-a", "-q"]) == "")
        }
    }
}
