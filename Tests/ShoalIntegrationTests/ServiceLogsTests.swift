import Foundation
import ShoalOS
import ShoalTestSupport
import Testing

/// `docker service logs` on a swarm made by `shoal cluster up` (2 managers, 1 worker): the lines of a service's
/// tasks on two hosts, gathered by the leader from the nodes' own logs, printed by the stock docker CLI with its
/// `name.slot.id@host    | ` prefix (which it builds from the details the API sends), through the leader and
/// through the other manager, with --tail, --timestamps, --since, --raw, --no-task-ids, --no-trunc, -f (across a
/// node's daemon restart, until the client leaves), a task ID, a task that exited, a TTY service, docker-py, and
/// Docker's refusals.
@Suite(.serialized, .timeLimit(.minutes(8))) struct ServiceLogsTests {
    @Test func serviceLogsGatherTheTasksLinesFromEveryHost() async throws {
        try await TestRun.with("svclogs") { run in
            let cluster = LocalClusterFixture(run, prefix: "g", subnetOctet: 83, shoalTimeout: 150, dockerTimeout: 60)
            let up = try await cluster.up(nodes: 3, managers: 2, swarm: true)
            try #require(up.status == 0, "\(up)")
            let rootfs = run.path("rootfs")
            try BusyboxRootfs.make(at: rootfs)
            try await Shell.sh("tar -C \(rootfs) -cf \(run.path("bb.tar")) .")
            for node in 1...3 {
                let loaded = try await cluster.docker(node, ["import", run.path("bb.tar"), "bb"])
                try #require(loaded.status == 0, "\(loaded)")
            }
            func docker(_ node: Int, _ arguments: [String]) async throws -> Shell.Result {
                try await cluster.docker(node, arguments)
            }
            func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

            // Two tasks, on hosts 2 and 3 (not the leader's: every line crosses the cluster). Each writes to stderr,
            // then two lines to stdout, then sleeps as its container's PID 1 (a test writes to its stdout later).
            let created = try await docker(1, [
                "service", "create", "--name", "web", "--replicas", "2", "--constraint",
                "node.hostname!=\(cluster.host(1))", "--stop-grace-period", "1s", "bb", "sh", "-c",
                "echo line-err >&2; sleep 1; echo line-one; echo line-two; exec sleep 100000",
            ])
            try #require(created.status == 0, "\(created)\n\(cluster.log(1))")
            let serviceID = try await docker(1, ["service", "inspect", "-f", "{{.ID}}", "web"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            // ID, slot name (web.N), host.
            let tasks = lines(try await docker(1, ["service", "ps", "--no-trunc", "--format",
                                                   "{{.ID}} {{.Name}} {{.Node}}", "web"]).stdout)
                .map { $0.split(separator: " ").map(String.init) }
            try #require(tasks.count == 2 && Set(tasks.map { $0[2] }) == [cluster.host(2), cluster.host(3)], "\(tasks)")
            // What the CLI prints before each line of a task: `web.N.<12-char ID>@host    | `.
            func prefix(_ task: [String], trunc: Bool = true, ids: Bool = true) -> String {
                "\(task[1])\(ids ? "." + (trunc ? String(task[0].prefix(12)) : task[0]) : "")@\(task[2])    | "
            }

            // Every task's lines, stdout and stderr apart, once both have written them.
            var all = Shell.Result(status: -1, stdout: "", stderr: "")
            let complete = try await cluster.eventually(30) {
                all = try await docker(1, ["service", "logs", "web"])
                return lines(all.stdout).count == 4 && lines(all.stderr).count == 2
            }
            #expect(complete && all.status == 0, "\(all)\n\(cluster.log(1))\n\(cluster.log(2))")
            for task in tasks {
                #expect(lines(all.stdout).filter { $0.hasPrefix(prefix(task)) }.map { $0.dropFirst(prefix(task).count) }
                            == ["line-one", "line-two"], "\(all)")
                #expect(lines(all.stderr).contains(prefix(task) + "line-err"), "\(all)")
            }
            // By service ID, through the manager that does not lead (the leader relays the nodes' lines to it).
            let follower = try await docker(2, ["service", "logs", String(serviceID.prefix(12))])
            #expect(follower.status == 0 && Set(lines(follower.stdout)) == Set(lines(all.stdout))
                        && Set(lines(follower.stderr)) == Set(lines(all.stderr)), "\(follower)\n\(cluster.log(2))")

            // --tail 1: each task's last line; --raw: the lines alone; --no-task-ids, --no-trunc.
            let tail = try await docker(1, ["service", "logs", "--tail", "1", "web"])
            #expect(Set(lines(tail.stdout)) == Set(tasks.map { prefix($0) + "line-two" }) && tail.stderr.isEmpty, "\(tail)")
            let raw = try await docker(1, ["service", "logs", "--raw", "web"])
            #expect(lines(raw.stdout).sorted() == ["line-one", "line-one", "line-two", "line-two"]
                        && lines(raw.stderr) == ["line-err", "line-err"], "\(raw)")
            let noIDs = try await docker(1, ["service", "logs", "--no-task-ids", "--tail", "1", "web"])
            #expect(Set(lines(noIDs.stdout)) == Set(tasks.map { prefix($0, ids: false) + "line-two" }), "\(noIDs)")
            let noTrunc = try await docker(1, ["service", "logs", "--no-trunc", "--tail", "1", "web"])
            #expect(Set(lines(noTrunc.stdout)) == Set(tasks.map { prefix($0, trunc: false) + "line-two" }), "\(noTrunc)")
            // --timestamps: Docker's fixed nine-digit RFC 3339 time before the prefix.
            let stamped = try await docker(1, ["service", "logs", "--timestamps", "--tail", "1", "web"])
            let stamp = try Regex(#"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z web\.[12]\.\w{12}@\S+    \| line-two$"#)
            #expect(lines(stamped.stdout).count == 2
                        && lines(stamped.stdout).allSatisfy { $0.wholeMatch(of: stamp) != nil }, "\(stamped)")
            // --since: nothing was written in the future.
            let since = try await docker(1, ["service", "logs", "--since", "2099-01-01T00:00:00Z", "web"])
            #expect(since.status == 0 && since.stdout.isEmpty && since.stderr.isEmpty, "\(since)")

            // One task by its ID (GET /tasks/{id}/logs).
            let one = try await docker(1, ["service", "logs", tasks[0][0]])
            #expect(lines(one.stdout) == [prefix(tasks[0]) + "line-one", prefix(tasks[0]) + "line-two"]
                        && lines(one.stderr) == [prefix(tasks[0]) + "line-err"], "\(one)")

            // -f: a line the task writes later shows up; killing the client ends the subscription.
            let followLog = run.path("follow.out")
            let following = try Shell.start(DaemonFixture.docker, ["service", "logs", "-f", "--tail", "0", "web"],
                                            environment: ["DOCKER_HOST": "unix://" + cluster.socket(1),
                                                          "DOCKER_CONFIG": run.path("docker-config")],
                                            log: followLog)
            run.onCleanup("kill docker service logs -f") { await following.kill() }
            let later = tasks[1]
            let node = try #require((1...3).first { cluster.host($0) == later[2] })
            var followed = ""
            let shown = try await cluster.eventually(30) {
                // Written again until seen: the follower may still be subscribing when the first one goes.
                _ = try await docker(node, ["exec", "\(later[1]).\(later[0])", "sh", "-c", "echo later-line > /proc/1/fd/1"])
                followed = (try? String(contentsOfFile: followLog, encoding: .utf8)) ?? ""
                return followed.contains(prefix(later) + "later-line")
            }
            #expect(shown, "\(followed)\n\(cluster.log(1))\n\(cluster.log(node))")
            #expect(!followed.contains("line-one"), "\(followed)")
            func followsEnded(_ node: Int) -> Int {
                let log = (try? String(contentsOfFile: cluster.dataRoot(node) + "/daemon.log", encoding: .utf8)) ?? ""
                return log.split(separator: "\n").count {
                    $0.contains("following log subscription ") && $0.contains(" ended")
                }
            }

            // The worker's daemon restarts while followed: it stops at once (its log readers with it), and once
            // back, its task's new lines reach the follower again (the leader sends the subscription down the new
            // session).
            let onWorker = try #require(tasks.first { $0[2] == cluster.host(3) })
            let workerPID = try ClusterStateFile.pid(of: 3, in: cluster.stateFile)
            let arguments = try await ClusterStateFile.stopDaemon(3, in: cluster.stateFile)
            #expect(kill(workerPID, 0) != 0, "node 3's daemon did not stop within 10 s\n\(cluster.log(3))")
            try ClusterStateFile.startDaemon(3, in: cluster.stateFile, arguments: arguments)
            let resumed = try await cluster.eventually(60) {
                _ = try await docker(3, ["exec", "\(onWorker[1]).\(onWorker[0])", "sh", "-c",
                                         "echo after-restart > /proc/1/fd/1"])
                followed = (try? String(contentsOfFile: followLog, encoding: .utf8)) ?? ""
                return followed.contains(prefix(onWorker) + "after-restart")
            }
            #expect(resumed, "\(followed)\n\(cluster.log(1))\n\(cluster.log(3))")

            let endedBefore = (1...3).map(followsEnded)
            await following.kill()
            // Every node stops reading for it (the leader closes the subscription down each session).
            let stopped = try await cluster.eventually(15) { (1...3).allSatisfy { followsEnded($0) > endedBefore[$0 - 1] } }
            #expect(stopped, "\(cluster.log(1))\n\(cluster.log(2))\n\(cluster.log(3))")
            // The daemons carry on: a new subscription gets the later line too.
            let afterKill = try await docker(1, ["service", "logs", "--raw", later[0]])
            #expect(afterKill.stdout.contains("later-line"), "\(afterKill)")

            // A task that has exited: its log is still there.
            let once = try await docker(1, ["service", "create", "--detach", "--name", "once", "--restart-condition",
                                            "none", "bb", "sh", "-c", "echo done-line"])
            #expect(once.status == 0, "\(once)")
            var exited = Shell.Result(status: -1, stdout: "", stderr: "")
            let exitedShown = try await cluster.eventually(30) {
                exited = try await docker(1, ["service", "logs", "once"])
                return exited.stdout.contains("@") && exited.stdout.hasSuffix("    | done-line\n")
            }
            #expect(exitedShown, "\(exited)")

            // A TTY service: its logs come raw (no frames, so no details to build a prefix from: the CLI wants --raw).
            let tty = try await docker(1, ["service", "create", "--detach", "--name", "tty", "--tty", "bb", "sh", "-c",
                                           "echo tty-line; exec sleep 100000"])
            #expect(tty.status == 0, "\(tty)")
            var ttyLogs = Shell.Result(status: -1, stdout: "", stderr: "")
            let ttyShown = try await cluster.eventually(30) {
                ttyLogs = try await docker(1, ["service", "logs", "--raw", "tty"])
                return ttyLogs.stdout.contains("tty-line")
            }
            #expect(ttyShown && ttyLogs.status == 0, "\(ttyLogs)")
            let ttyPretty = try await docker(1, ["service", "logs", "tty"])
            #expect(ttyPretty.status == 1 && ttyPretty.stderr.contains("tty service logs only supported with --raw"),
                    "\(ttyPretty)")

            // docker-py, through the other manager: lines as they are (no details), and a follow that yields.
            let py = """
                import docker, sys
                client = docker.DockerClient(base_url="unix://" + sys.argv[1])
                service = client.services.get("web")
                got = b"".join(service.logs(stdout=True, stderr=True, tail=1)).decode()
                print(sorted(got.splitlines()))
                got = b"".join(service.logs(stdout=True, stderr=False, timestamps=True)).decode().splitlines()
                print(len(got), all(line.endswith(("line-one", "line-two", "later-line", "after-restart")) and line[10] == "T" for line in got))
                stream = service.logs(stdout=True, stderr=True, follow=True, tail=1)
                print(next(stream).decode().strip())
                """
            let viaPython = try await Shell.run("/usr/bin/env", ["python3", "-c", py, cluster.socket(2)], timeout: 60)
            // Its follow ended with the script (it went through the other manager, which relayed the leader's).
            let pythonStopped = try await cluster.eventually(15) {
                (1...3).allSatisfy { followsEnded($0) > endedBefore[$0 - 1] + 1 }
            }
            #expect(pythonStopped, "\((1...3).map(followsEnded))\n\(cluster.log(1))\n\(cluster.log(2))\n\(cluster.log(3))")
            let pyLines = lines(viaPython.stdout)
            // Each task's last line: what the follow tests wrote last to it, else its own last.
            let lastLines = tasks.map { $0 == onWorker ? "after-restart" : $0 == later ? "later-line" : "line-two" }
            #expect(pyLines.count == 3 && pyLines.first == "[" + lastLines.sorted().map { "'\($0)'" }.joined(separator: ", ") + "]"
                        && pyLines.dropFirst().first?.hasSuffix(" True") == true
                        && lastLines.contains(pyLines.last ?? ""), "\(viaPython.stdout)\(viaPython.stderr)")

            // Docker's refusals: an unknown name (the CLI looks for a service, then a task); a worker.
            let unknown = try await docker(1, ["service", "logs", "nosuch"])
            #expect(unknown.status == 1 && unknown.stderr.contains("no such task or service: nosuch"), "\(unknown)")
            let worker = try await docker(3, ["service", "logs", "web"])
            #expect(worker.status == 1 && worker.stderr.contains(
                "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state."),
                    "\(worker)")
            let workerAPI = try await Shell.run("/usr/bin/env", ["python3", "-c", """
                import docker, sys
                try:
                    docker.APIClient(base_url="unix://" + sys.argv[1]).service_logs("web", stdout=True, is_tty=False)
                except docker.errors.APIError as error:
                    print(error.status_code, error.explanation)
                """, cluster.socket(3)])
            #expect(workerAPI.stdout.hasPrefix("503 This node is not a swarm manager."), "\(workerAPI)")
        }
    }
}
