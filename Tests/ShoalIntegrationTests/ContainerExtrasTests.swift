import Foundation
import ShoalTestSupport
import Testing

/// More of the CLI (and docker-py) against a real daemon: top, stats, ps filters, restart, start -a, attach,
/// events, system df, -i and -t, prune, inspect, and API errors.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ContainerExtrasTests {
    @Test func topAndStatsDescribeARunningContainer() async throws {
        try await TestRun.with("top") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["run", "-d", "--name", "tp", "busybox", "sleep", "1000"])
            let top = try await daemon.dockerOK(["top", "tp"]).split(separator: "\n")
            #expect(top.first?.split(separator: " ") == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"])
            #expect(top.dropFirst().contains { $0.hasSuffix("sleep 1000") }, "\(top)")
            let stats = try await daemon.dockerOK(["stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", "tp"])
            #expect(stats.range(of: #"^tp [0-9.]+[KMG]?i?B / [0-9.]+[KMGT]?i?B$"#, options: .regularExpression) != nil,
                    "\(stats)")
        }
    }

    @Test func psListsFiltersAndFormats() async throws {
        try await TestRun.with("ps") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["run", "--name", "first", "busybox", "true"])
            #expect(try await daemon.docker(["run", "--name", "second", "busybox", "sh", "-c", "exit 3"]).status == 3)
            let id = try await daemon.dockerOK(["run", "-d", "--name", "third", "-l", "note=hello world", "busybox",
                                                "sleep", "1000"])
            #expect(try await daemon.dockerOK(["ps", "-a", "-n", "1", "--format", "{{.Names}}"]) == "third")
            #expect(try await daemon.dockerOK(["ps", "-a", "--format", "{{.Names}}"]) == "third\nsecond\nfirst")
            #expect(try await daemon.dockerOK(["ps", "-n", "2", "--format", "{{.Names}}"]) == "third\nsecond")
            let line = try await daemon.dockerOK(["ps", "--format", "{{.ID}} {{.Image}} {{.Status}}"])
            #expect(line.hasPrefix("\(id.prefix(12)) busybox Up "), "\(line)")
            let exited = try await daemon.dockerOK(["ps", "-a", "--filter", "status=exited", "--format", "{{.Names}} {{.Status}}"])
                .split(separator: "\n").sorted()
            #expect(exited.count == 2)
            #expect(exited.first?.hasPrefix("first Exited (0) ") == true, "\(exited)")
            #expect(exited.last?.hasPrefix("second Exited (3) ") == true, "\(exited)")
            #expect(try await daemon.dockerOK(["ps", "-a", "--filter", "name=sec", "--format", "{{.Names}}"]) == "second")
            #expect(try await daemon.dockerOK(["ps", "-a", "--filter", "exited=3", "--format", "{{.Names}}"]) == "second")
            #expect(try await daemon.dockerOK(["ps", "-a", "--filter", "exited=0", "--format", "{{.Names}}"]) == "first")
            #expect(try await daemon.dockerOK(["ps", "--filter", "status=running", "-q"]) == String(id.prefix(12)))
            // A space in a query value travels as `+`.
            #expect(try await daemon.dockerOK(["ps", "-q", "--filter", "label=note=hello world"]) == String(id.prefix(12)))
        }
    }

    @Test func restartAndStartAttachRunTheContainerAgain() async throws {
        try await TestRun.with("rst") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["run", "-d", "--name", "rs", "busybox", "sh", "-c", "echo started; sleep 1000"])
            let pid = try await daemon.dockerOK(["inspect", "-f", "{{.State.Pid}}", "rs"])
            try await daemon.dockerOK(["restart", "-t", "1", "rs"])
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Running}}", "rs"]) == "true")
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Pid}}", "rs"]) != pid)
            let deadline = Date().addingTimeInterval(5)
            var logs = ""
            while Date() < deadline {
                logs = try await daemon.dockerOK(["logs", "rs"])
                if logs == "started\nstarted" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(logs == "started\nstarted")

            // start -a prints the output of the new run (the rootfs keeps what the earlier run wrote).
            #expect(try await daemon.dockerOK(["run", "--name", "sa", "busybox", "sh", "-c", "echo x >> /count; wc -l < /count"])
                == "1")
            #expect(try await daemon.dockerOK(["start", "-a", "sa"]) == "2")
            let third = try await daemon.docker(["start", "-a", "sa"])
            #expect(third.stdout == "3\n", "\(third.stderr)")
        }
    }

    @Test func attachReceivesNewOutputOfARunningContainer() async throws {
        try await TestRun.with("att") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["run", "-d", "--name", "at", "busybox", "sh", "-c",
                                       "for i in $(seq 1 20); do echo tick$i; sleep 0.2; done; exit 4"])
            try await Task.sleep(for: .seconds(1))
            let attached = try await Shell.run(DaemonFixture.docker, ["attach", "--no-stdin", "at"],
                                               environment: daemon.environment, timeout: 30)
            let lines = attached.stdout.split(separator: "\n")
            #expect(lines.contains("tick20"), "\(attached.stdout) \(attached.stderr)")
            #expect(!lines.contains("tick1"), "attach replays no earlier output: \(attached.stdout)")
            #expect(attached.status == 4)
        }
    }

    @Test func eventsReplayTheLifecycleInOrder() async throws {
        try await TestRun.with("ev") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let since = Int(Date().timeIntervalSince1970) - 1
            try await daemon.dockerOK(["run", "--name", "ev", "busybox", "true"])
            try await daemon.dockerOK(["rm", "ev"])
            let until = Int(Date().timeIntervalSince1970) + 1
            let actions = try await daemon.dockerOK(["events", "--since", String(since), "--until", String(until),
                                                     "--filter", "type=container", "--filter", "container=ev",
                                                     "--format", "{{.Action}}"])
                .split(separator: "\n").map(String.init)
            let lifecycle = actions.filter { ["create", "start", "die", "destroy"].contains($0) }
            #expect(lifecycle == ["create", "start", "die", "destroy"], "\(actions)")
            #expect(!actions.contains { $0.hasPrefix("pull") || $0 == "load" }, "only container events: \(actions)")
            // `--since 0` is the epoch: everything the daemon still holds, the image load included.
            let all = try await daemon.dockerOK(["events", "--since", "0", "--until", String(until), "--format", "{{.Type}} {{.Action}}"])
            #expect(all.contains("image load") && all.contains("container destroy"), "\(all)")
        }
    }

    @Test func systemDfAndContainerPrune() async throws {
        try await TestRun.with("df") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["run", "--name", "gone1", "busybox", "true"])
            try await daemon.dockerOK(["run", "--name", "gone2", "busybox", "true"])
            try await daemon.dockerOK(["run", "-d", "--name", "stays", "busybox", "sleep", "1000"])
            let df = try await daemon.dockerOK(["system", "df"])
            #expect(df.contains("Images") && df.contains("Containers") && df.contains("Local Volumes"), "\(df)")
            // The one image is in use: nothing of it is reclaimable.
            let imagesLine = df.split(separator: "\n").first { $0.hasPrefix("Images") } ?? ""
            #expect(imagesLine.hasSuffix("0B (0%)"), "\(df)")
            let containersLine = df.split(separator: "\n").first { $0.hasPrefix("Containers") } ?? ""
            #expect(containersLine.split(separator: " ", omittingEmptySubsequences: true).prefix(3)
                == ["Containers", "3", "1"], "\(df)")
            let pruned = try await daemon.dockerOK(["container", "prune", "-f"])
            #expect(pruned.contains("Deleted Containers:"), "\(pruned)")
            #expect(try await daemon.dockerOK(["ps", "-a", "--format", "{{.Names}}"]) == "stays")
            let state = try await daemon.dockerOK(["inspect", "-f", "{{.Id}} {{.State.Status}}", "stays"])
            #expect(DaemonFixture.mounts(under: [daemon.dataRoot + "/containers"]).count == 1,
                    "stays: \(state); mounts: \(DaemonFixture.mounts(under: [daemon.dataRoot])); log: \(daemon.daemonLog(lines: 15))")
        }
    }

    @Test func interactiveAndTerminalRuns() async throws {
        try await TestRun.with("tty") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let piped = try await Shell.run("/bin/sh", ["-c", "echo hi | \(DaemonFixture.docker) run -i --rm busybox cat"],
                                            environment: daemon.environment)
            #expect(piped.status == 0, "\(piped.stderr)")
            #expect(piped.stdout == "hi\n")
            let terminal = try await Shell.run("/usr/bin/script",
                                               ["-qec", "\(DaemonFixture.docker) run -t --rm busybox sh -c tty", "/dev/null"],
                                               environment: daemon.environment, timeout: 60)
            #expect(terminal.status == 0, "\(terminal.stdout) \(terminal.stderr)")
            #expect(terminal.stdout.range(of: #"/dev/pts/[0-9]+[\r\n]"#, options: .regularExpression) != nil,
                    "\(terminal.stdout)")
            #expect(try await daemon.dockerOK(["ps", "-aq"]) == "")

            // exec -t gets a terminal and TERM=xterm, as in Docker.
            try await daemon.dockerOK(["run", "-d", "--name", "term", "busybox", "sleep", "1000"])
            let execTerminal = try await Shell.run("/usr/bin/script",
                                                   ["-qec", "\(DaemonFixture.docker) exec -t term sh -c 'tty; echo $TERM'", "/dev/null"],
                                                   environment: daemon.environment, timeout: 60)
            #expect(execTerminal.status == 0, "\(execTerminal.stdout) \(execTerminal.stderr)")
            #expect(execTerminal.stdout.range(of: #"/dev/pts/[0-9]+[\r\n]+xterm"#, options: .regularExpression) != nil,
                    "\(execTerminal.stdout)")
        }
    }

    @Test func inspectAndAPIErrorsHaveDockersShape() async throws {
        try await TestRun.with("insp") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["run", "-d", "--name", "in", "-v", "/data", "busybox", "sleep", "1000"])
            let json = try await daemon.dockerOK(["inspect", "in"])
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
            let container = try #require(parsed.first)
            #expect((container["State"] as? [String: Any])?["Status"] as? String == "running")
            #expect((container["Config"] as? [String: Any])?["Image"] as? String == "busybox")
            #expect(container["HostConfig"] is [String: Any])
            let mounts = try #require(container["Mounts"] as? [[String: Any]])
            #expect(mounts.first?["Destination"] as? String == "/data")
            #expect(mounts.first?["Type"] as? String == "volume")

            let malformed = try await daemon.rawRequest("POST", "/containers/create", body: "{not json",
                                                        contentType: "application/json")
            #expect(malformed.status == 400)
            let message = try JSONSerialization.jsonObject(with: Data(malformed.body.utf8)) as? [String: Any]
            #expect((message?["message"] as? String)?.isEmpty == false, "\(malformed.body)")
            let unknown = try await daemon.rawRequest("GET", "/no/such/route")
            #expect(unknown.status == 404)
            let notFound = try JSONSerialization.jsonObject(with: Data(unknown.body.utf8)) as? [String: String]
            #expect(notFound == ["message": "page not found"], "\(unknown.body)")
        }
    }

    @Test func dockerPyDrivesContainersImagesAndVolumes() async throws {
        try await TestRun.with("py") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let script = """
            import sys, docker
            client = docker.DockerClient(base_url='unix://' + sys.argv[1])
            out = client.containers.run('busybox', 'echo hi', remove=True)
            assert out == b'hi\\n', out
            c = client.containers.run('busybox', ['sh', '-c', 'echo logged; sleep 1000'], detach=True, name='pyc')
            import time
            for _ in range(100):
                if c.logs() == b'logged\\n':
                    break
                time.sleep(0.05)
            assert c.logs() == b'logged\\n', c.logs()
            result = c.exec_run('echo x')
            assert result.exit_code == 0 and result.output == b'x\\n', result
            c.stop(timeout=1)
            c.reload()
            assert c.status == 'exited', c.status
            c.remove()
            assert client.containers.list(all=True) == [], client.containers.list(all=True)
            tags = [t for image in client.images.list() for t in image.tags]
            assert 'busybox:latest' in tags, tags
            v = client.volumes.create('pyvol')
            assert v.name == 'pyvol'
            assert [x.name for x in client.volumes.list()] == ['pyvol']
            v.remove()
            assert client.volumes.list() == []
            print('ok')
            """
            let path = run.path("client.py")
            try script.write(toFile: path, atomically: true, encoding: .utf8)
            let result = try await Shell.run("/usr/bin/env", ["python3", path, daemon.socket], timeout: 90)
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)\n\(daemon.daemonLog(lines: 20))")
            #expect(result.stdout == "ok\n")
        }
    }
}
