import Foundation
import ShoalTestSupport
import Testing

/// Logging drivers (`--log-driver`, `--log-opt`) against a real daemon with the stock CLI and docker-py:
/// Docker 20.10's defaults, refusals, `none`, and rotation that `docker logs` and `logs -f` read across.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ContainerLogDriverTests {
    /// Runs a docker-py script (socket as argv[1]); its last line must be `ok`.
    static func python(_ daemon: DaemonFixture, _ script: String, name: String) async throws {
        let path = daemon.run.path(name + ".py")
        let prelude = "import docker, sys\nclient = docker.APIClient(base_url='unix://' + sys.argv[1])\n"
        try (prelude + script).write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await Shell.run("/usr/bin/env", ["python3", path, daemon.socket],
                                         environment: daemon.environment, timeout: 60)
        #expect(result.status == 0 && result.stdout.hasSuffix("ok\n"),
                "\(result.stdout)\n\(result.stderr)\n\(daemon.daemonLog(lines: 20))")
    }

    /// The container's log files on disk (live and rotated).
    static func logFiles(_ daemon: DaemonFixture, _ name: String) async throws -> [String] {
        let id = try await daemon.dockerOK(["inspect", "-f", "{{.Id}}", name])
        let directory = daemon.dataRoot + "/containers/" + id
        return try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasPrefix("container.log") }.map { directory + "/" + $0 }
    }

    @Test func defaultsOptionsAndRefusalsAreDockers() async throws {
        try await TestRun.with("logcfg") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            #expect(try await daemon.dockerOK(["info", "-f", "{{.LoggingDriver}}"]) == "json-file")
            #expect(try await daemon.dockerOK(["info", "-f", "{{json .Plugins.Log}}"])
                == #"["journald","json-file","local"]"#)
            try await daemon.dockerOK(["create", "--name", "plain", "busybox"])
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{json .HostConfig.LogConfig}}", "plain"])
                == #"{"Type":"json-file","Config":{}}"#)
            try await daemon.dockerOK(["create", "--name", "loc", "--log-driver", "local", "--log-opt", "max-size=1m",
                                       "--log-opt", "max-file=2", "busybox"])
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{json .HostConfig.LogConfig}}", "loc"])
                == #"{"Type":"local","Config":{"max-file":"2","max-size":"1m"}}"#)

            // Refused at create, with nothing left behind.
            let before = try await daemon.dockerOK(["ps", "-aq", "--no-trunc"])
            let driver = try await daemon.docker(["create", "--name", "bad1", "--log-driver", "syslg", "busybox"])
            #expect(driver.status != 0)
            #expect(driver.stderr.contains("logger: no log driver named 'syslg' is registered"), "\(driver.stderr)")
            let option = try await daemon.docker(["create", "--name", "bad2", "--log-opt", "max-sise=1m", "busybox"])
            #expect(option.stderr.contains("unknown log opt 'max-sise' for json-file log driver"), "\(option.stderr)")
            let local = try await daemon.docker(["create", "--name", "bad3", "--log-driver", "local", "--log-opt",
                                                 "labels=a", "busybox"])
            #expect(local.stderr.contains("unknown log opt 'labels' for log driver local"), "\(local.stderr)")
            #expect(try await daemon.dockerOK(["ps", "-aq", "--no-trunc"]) == before)

            // Values are checked when the logger starts, as Docker does: create succeeds, start fails.
            let size = try await daemon.docker(["run", "--name", "badsize", "--log-opt", "max-size=abc", "busybox",
                                                "true"])
            #expect(size.status != 0)
            #expect(size.stderr.contains("failed to initialize logging driver: invalid size: 'abc'"), "\(size.stderr)")
            let files = try await daemon.docker(["run", "--name", "badfiles", "--log-opt", "max-size=1k",
                                                 "--log-opt", "max-file=0", "busybox", "true"])
            #expect(files.stderr.contains("failed to initialize logging driver: max-file cannot be less than 1"),
                    "\(files.stderr)")
            let compress = try await daemon.docker(["run", "--name", "badlocal", "--log-driver", "local",
                                                    "--log-opt", "max-file=1", "busybox", "true"])
            #expect(compress.stderr.contains("compression cannot be enabled when max file count is 1"),
                    "\(compress.stderr)")
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "badsize"])
                == "created 128")

            try await Self.python(daemon, """
            from docker.errors import APIError
            def status(call):
                try:
                    call()
                except APIError as e:
                    return e.status_code, e.explanation
                return None
            hc = lambda cfg: client.create_host_config(log_config=cfg)
            got = status(lambda: client.create_container('busybox', host_config=hc({'Type': 'nope', 'Config': {}})))
            assert got == (400, "logger: no log driver named 'nope' is registered"), got
            got = status(lambda: client.create_container('busybox', host_config=hc({'Type': 'journald',
                                                                                    'Config': {'max-file': '2'}})))
            assert got == (400, "unknown log opt 'max-file' for journald log driver"), got
            c = client.create_container('busybox', 'true', host_config=hc({'Type': '', 'Config': {}}))
            assert client.inspect_container(c)['HostConfig']['LogConfig'] == {'Type': 'json-file', 'Config': {}}
            got = status(lambda: client.start('badsize'))
            assert got == (500, "failed to initialize logging driver: invalid size: 'abc'"), got
            print('ok')
            """, name: "refusals")
        }
    }

    @Test func noneKeepsNoLogAndLogsSaysSo() async throws {
        try await TestRun.with("lognone") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            // An attached client still sees the output; nothing is kept.
            #expect(try await daemon.dockerOK(["run", "--name", "quiet", "--log-driver", "none", "busybox",
                                               "echo", "hello"]) == "hello")
            let logs = try await daemon.docker(["logs", "quiet"])
            #expect(logs.status != 0)
            #expect(logs.stderr.contains("configured logging driver does not support reading"), "\(logs.stderr)")
            #expect(try await Self.logFiles(daemon, "quiet").isEmpty)
            try await Self.python(daemon, """
            from docker.errors import APIError
            try:
                client.logs('quiet')
                raise SystemExit('logs answered')
            except APIError as e:
                assert e.status_code == 501 and e.explanation == 'configured logging driver does not support reading', e
            print('ok')
            """, name: "none")
        }
    }

    /// A container writing 2000 numbered lines (~100 KB of log) in small bursts, into 10 KB files, 3 at most.
    static func rotatingRun(_ daemon: DaemonFixture, _ name: String, driver: String) async throws -> [String] {
        try await daemon.dockerOK([
            "run", "-d", "--name", name, "--log-driver", driver, "--log-opt", "max-size=10k",
            "--log-opt", "max-file=3", "busybox", "sh", "-c",
            "sleep 1; i=0; while [ $i -lt 2000 ]; do echo line$i; i=$((i+1)); "
                + "[ $((i % 40)) = 0 ] && sleep 0.02; done; echo done >&2",
        ])
        // -f from the start: every line once, in order, across the rotations.
        let followed = try await daemon.docker(["logs", "-f", name])
        return followed.stdout.split(separator: "\n").map(String.init) + [followed.stderr]
    }

    @Test(arguments: ["json-file", "local"])
    func rotationKeepsMaxFilesAndLogsReadAcrossThem(driver: String) async throws {
        try await TestRun.with("logrot") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let followed = try await Self.rotatingRun(daemon, "rot", driver: driver)
            #expect(followed.dropLast() == (0..<2000).map { "line\($0)" }, "\(followed.count) lines followed")
            #expect(followed.last == "done\n")

            let files = try await Self.logFiles(daemon, "rot")
            #expect(files.count <= 3 && files.count >= 2, "\(files)")
            for file in files {
                let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
                // A file passes 10 KB by at most what the container writes between two checks.
                #expect(size < 16_000, "\(file): \(size)")
            }
            // `docker logs` reads the kept files in order: the last lines, consecutive, none twice.
            let kept = try await daemon.dockerOK(["logs", "rot"]).split(separator: "\n").map(String.init)
            let first = Int(kept.first?.dropFirst(4) ?? "") ?? -1
            #expect(kept.count > 200 && first > 0, "\(kept.count) lines kept, first \(kept.first ?? "")")
            #expect(kept == (first..<2000).map { "line\($0)" })
            // --tail counts both streams: the last message is stderr's "done".
            #expect(try await daemon.dockerOK(["logs", "--tail", "4", "rot"]) == "line1997\nline1998\nline1999")
            let tail = try await daemon.dockerOK(["logs", "--tail", String(kept.count - 4), "rot"])
            #expect(tail.split(separator: "\n").first.map(String.init) == "line\(first + 5)")

            // The rotated files survive a daemon restart.
            await daemon.stopDaemon()
            try await daemon.start()
            #expect(try await daemon.dockerOK(["logs", "rot"]).split(separator: "\n").map(String.init) == kept)
        }
    }
}

/// The journald driver, against a journal socket the test runs itself (the daemon's SHOAL_JOURNAL_SOCKET).
@Suite(.serialized, .timeLimit(.minutes(3))) struct JournaldLogDriverTests {
    /// A datagram receiver speaking the journal's native protocol; one JSON object per entry in `out`.
    static let receiver = """
    import json, os, socket, struct, sys
    path, out = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    with open(out, 'a') as f:
        while True:
            data, fields, i = s.recv(1 << 20), {}, 0
            while i < len(data):
                nl = data.index(b'\\n', i)
                line = data[i:nl]
                if b'=' in line:
                    name, value = line.split(b'=', 1)
                    i = nl + 1
                else:
                    size = struct.unpack('<Q', data[nl + 1:nl + 9])[0]
                    name, value = line, data[nl + 9:nl + 9 + size]
                    i = nl + 9 + size + 1
                fields[name.decode()] = value.decode()
            f.write(json.dumps(fields) + '\\n')
            f.flush()
    """

    static func entries(_ path: String) -> [[String: String]] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]
        }
    }

    static func waitFor(_ path: String, count: Int) async throws -> [[String: String]] {
        for _ in 0..<100 {
            let got = entries(path)
            if got.count >= count { return got }
            try await Task.sleep(for: .milliseconds(100))
        }
        return entries(path)
    }

    @Test func entriesReachTheJournalOnceAcrossRestarts() async throws {
        try await TestRun.with("journald") { run in
            let socket = run.path("journal.sock")
            let daemon = try await DaemonFixture(run, environment: ["SHOAL_JOURNAL_SOCKET": socket])
            try await daemon.loadBusybox()
            // No journal listening: Docker's refusal at start.
            let absent = try await daemon.docker(["run", "--name", "nojournal", "--log-driver", "journald", "busybox",
                                                  "true"])
            #expect(absent.status != 0)
            #expect(absent.stderr.contains("failed to initialize logging driver: journald is not enabled on this host"),
                    "\(absent.stderr)")

            let script = run.path("receiver.py"), out = run.path("journal.jsonl")
            try Self.receiver.write(toFile: script, atomically: true, encoding: .utf8)
            _ = try run.startProcess("journal receiver", "/usr/bin/python3", [script, socket, out],
                                     log: run.path("receiver.log"))
            for _ in 0..<50 where !FileManager.default.fileExists(atPath: socket) {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await daemon.dockerOK(["run", "--name", "jj", "--log-driver", "journald", "--log-opt", "tag=web",
                                       "busybox", "sh", "-c", "echo one; echo two >&2; printf 'three\\nfour\\n'"])
            let first = try await Self.waitFor(out, count: 4)
            #expect(first.map { $0["MESSAGE"] ?? "" } == ["one", "two", "three", "four"]
                || Set(first.map { $0["MESSAGE"] ?? "" }) == ["one", "two", "three", "four"], "\(first)")
            let id = try await daemon.dockerOK(["inspect", "-f", "{{.Id}}", "jj"])
            let one = try #require(first.first { $0["MESSAGE"] == "one" })
            #expect(one["PRIORITY"] == "6" && one["CONTAINER_NAME"] == "jj" && one["CONTAINER_ID_FULL"] == id)
            #expect(one["CONTAINER_ID"] == String(id.prefix(12)) && one["SYSLOG_IDENTIFIER"] == "web")
            #expect(one["CONTAINER_TAG"] == "web" && one["IMAGE_NAME"] == "busybox")
            #expect(first.first { $0["MESSAGE"] == "two" }?["PRIORITY"] == "3")
            // `docker logs` answers from the daemon's own copy, as Docker answers from the journal.
            #expect(try await daemon.dockerOK(["logs", "jj"]).contains("four"))

            // Started again: only the new run's entries are sent.
            try await daemon.dockerOK(["start", "-a", "jj"])
            #expect(try await Self.waitFor(out, count: 8).count == 8)

            // The container writes while the daemon is down: sent once the daemon is back, nothing twice.
            try await daemon.dockerOK(["run", "-d", "--name", "kk", "--log-driver", "journald", "busybox", "sh", "-c",
                                       "echo before; sleep 2; echo after"])
            _ = try await Self.waitFor(out, count: 9)
            await daemon.stopDaemon()
            try await Task.sleep(for: .seconds(3))
            try await daemon.start()
            let all = try await Self.waitFor(out, count: 10)
            try await Task.sleep(for: .milliseconds(500))
            let messages = Self.entries(out).map { $0["MESSAGE"] ?? "" }
            #expect(all.count == 10 && messages.count == 10, "\(messages)")
            #expect(messages.suffix(2) == ["before", "after"], "\(messages)")
        }
    }
}
