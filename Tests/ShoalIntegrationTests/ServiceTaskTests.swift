import Foundation
import ShoalTestSupport
import Testing

/// Swarm services that run: tasks placed by the leader's scheduler on the hosts of a swarm made by
/// `shoal cluster up`, started by each host's agent as containers with Docker's names and labels, reachable
/// by the service's names from every host, scaled and removed with the stock docker CLI.
@Suite(.serialized, .timeLimit(.minutes(6))) struct ServiceTaskTests {
    /// A CGI script for busybox httpd (a printf format): logs the client's address as the task sees it to
    /// /w/clients and answers with it.
    static let clientLogger = "#!/bin/sh\\necho $REMOTE_ADDR >> /w/clients\\necho Content-Type: text/plain\\necho\\n"
        + "echo $REMOTE_ADDR\\n"

    @Test func aServiceRunsItsTasksAcrossTheHostsAndAnswersToItsNames() async throws {
        try await TestRun.with("svctasks") { run in
            let cluster = LocalClusterFixture(run, prefix: "t", subnetOctet: 78, shoalTimeout: 150, dockerTimeout: 60)
            let up = try await cluster.up(nodes: 3, managers: 1, swarm: true, extra: ["--dns", "127.0.0.1:1053"])
            try #require(up.status == 0, "\(up)")
            let rootfs = run.path("rootfs")
            try BusyboxRootfs.make(at: rootfs)
            try await Shell.sh("mkdir -p \(rootfs)/www && echo svc-ok > \(rootfs)/www/index.html"
                + " && tar -C \(rootfs) -cf \(run.path("bb.tar")) .")
            for node in 1...3 {
                let loaded = try await cluster.docker(node, ["import", run.path("bb.tar"), "bb"])
                try #require(loaded.status == 0, "\(loaded)")
            }
            func docker(_ node: Int, _ arguments: [String]) async throws -> Shell.Result {
                try await cluster.docker(node, arguments)
            }
            func lines(_ result: Shell.Result) -> [String] {
                result.stdout.split(separator: "\n").map { String($0).trimmingCharacters(in: .whitespaces) }
            }
            try #require(try await docker(1, ["network", "create", "-d", "overlay", "--attachable", "app"]).status == 0)

            // Without --detach the CLI follows the tasks until they converge, as against Docker.
            let created = try await docker(1, [
                "service", "create", "--name", "web", "--replicas", "3", "--network", "app", "--stop-grace-period", "1s",
                "bb", "sh", "-c", "mkdir /w && cp /www/index.html /w/ && hostname > /w/host && exec httpd -f -p 80 -h /w",
            ])
            try #require(created.status == 0, "\(created)\n\(cluster.log(1))")
            #expect(created.stdout.contains("verify: Service ") && created.stdout.contains(" converged"), "\(created)")
            #expect(try await docker(1, ["service", "ls", "--format", "{{.Name}} {{.Replicas}}"]).stdout == "web 3/3\n")

            // One task per host (spread), each Running, each a container named and labelled as Docker does.
            let tasks = lines(try await docker(1, ["service", "ps", "--no-trunc", "--format",
                                                   "{{.ID}} {{.Name}} {{.Node}} {{.DesiredState}} {{.CurrentState}}", "web"]))
            #expect(tasks.count == 3, "\(tasks)")
            #expect(Set(tasks.map { $0.split(separator: " ")[2] }) == Set((1...3).map { Substring(cluster.host($0)) }),
                    "\(tasks)")
            #expect(tasks.allSatisfy { $0.contains(" Running Running ") }, "\(tasks)")
            let serviceID = try await docker(1, ["service", "inspect", "-f", "{{.ID}}", "web"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            var taskAddresses: Set<String> = []
            for task in tasks {
                let fields = task.split(separator: " ").map(String.init)
                let node = try #require((1...3).first { cluster.host($0) == fields[2] })
                let container = "\(fields[1]).\(fields[0])"
                let labels = try await docker(node, ["inspect", "-f",
                    "{{index .Config.Labels \"com.docker.swarm.service.id\"}} {{index .Config.Labels \"com.docker.swarm.service.name\"}} {{index .Config.Labels \"com.docker.swarm.task.id\"}} {{.State.Running}}",
                    container])
                #expect(labels.stdout == "\(serviceID) web \(fields[0]) true\n", "\(labels)\n\(cluster.log(node))")
                let address = try await docker(node, ["inspect", "-f", "{{.NetworkSettings.Networks.app.IPAddress}}", container])
                taskAddresses.insert(address.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            #expect(taskAddresses.count == 3 && taskAddresses.allSatisfy { $0.hasPrefix("10.0.1.") }, "\(taskAddresses)")

            // From a plain container on host 2: `web` is the VIP, `tasks.web` every task, and each task answers.
            let vip = try await docker(1, ["service", "inspect", "-f", "{{(index .Endpoint.VirtualIPs 0).Addr}}", "web"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(vip.hasPrefix("10.0.1.") && vip.hasSuffix("/24"), "\(vip)")
            let client = try await docker(2, ["run", "-d", "--name", "client", "--network", "app", "bb", "sleep", "1000"])
            try #require(client.status == 0, "\(client)")
            func resolve(_ name: String) async throws -> Set<String> {
                let answer = try await docker(2, ["exec", "client", "nslookup", name, "127.0.0.11"])
                return Set(lines(answer).filter { $0.hasPrefix("Address:") && !$0.contains("127.0.0.11") }
                    .map { String($0.dropFirst("Address:".count)).trimmingCharacters(in: .whitespaces) })
            }
            #expect(try await resolve("web") == [String(vip.split(separator: "/")[0])])
            #expect(try await resolve("tasks.web") == taskAddresses)
            for address in taskAddresses {
                let page = try await docker(2, ["exec", "client", "timeout", "5", "wget", "-qO-", "http://\(address)/"])
                #expect(page.stdout == "svc-ok\n", "\(address): \(page)")
            }

            // The VIP carries traffic: new connections spread over the tasks (nftables in the client's sandbox).
            var answered: Set<String> = []
            for _ in 0..<24 {
                let page = try await docker(2, ["exec", "client", "timeout", "5", "wget", "-qO-", "http://web/host"])
                answered.insert(page.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            #expect(answered.count >= 2 && !answered.contains(""), "\(answered)")

            // Scaled: the new tasks run and resolve from another host.
            let scaled = try await docker(1, ["service", "scale", "web=5"])
            #expect(scaled.status == 0, "\(scaled)")
            #expect(try await docker(1, ["service", "ls", "--format", "{{.Replicas}}"]).stdout == "5/5\n")
            let five = try await cluster.eventually(10) { try await resolve("tasks.web").count == 5 }
            let resolved = try await resolve("tasks.web")
            #expect(five, "\(resolved)")
            // Scaled down: the tasks that go leave the VIP (no new connection reaches them).
            #expect(try await docker(1, ["service", "scale", "web=1"]).status == 0)
            let survivor = lines(try await docker(1, ["service", "ps", "-q", "--filter", "desired-state=running", "web"]))
            var afterScale: Set<String> = []
            for _ in 0..<8 {
                let page = try await docker(2, ["exec", "client", "timeout", "5", "wget", "-qO-", "http://web/host"])
                afterScale.insert(page.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            }
            #expect(survivor.count == 1 && afterScale.count == 1 && !afterScale.contains(""), "\(survivor) \(afterScale)")

            // Removed: every host's task containers go, and the names stop resolving.
            #expect(try await docker(1, ["service", "rm", "web"]).status == 0)
            let gone = try await cluster.eventually(30) {
                var left = 0
                for node in 1...3 {
                    left += lines(try await docker(node, ["ps", "-a", "-q", "--filter", "label=com.docker.swarm.service.name=web"])).count
                }
                return left == 0
            }
            let left = try await docker(1, ["ps", "-a"])
            #expect(gone, "\(left)\n\(cluster.log(1))")
            #expect(try await resolve("tasks.web").isEmpty)

            // A stack from a compose file: its overlay network and services are made, its tasks run (`stack ps`
            // finds them by the stack's label), and `stack rm` takes it all away.
            try """
            version: "3.8"
            services:
              front:
                image: bb
                command: httpd -f -p 80 -h /www
                stop_grace_period: 1s
                deploy:
                  replicas: 2
                networks: [back]
              cache:
                image: bb
                command: sleep 1000
                stop_grace_period: 1s
                networks: [back]
            networks:
              back:
                driver: overlay
            """.write(toFile: run.path("compose.yml"), atomically: true, encoding: .utf8)
            let deployed = try await docker(1, ["stack", "deploy", "-c", run.path("compose.yml"), "shop"])
            try #require(deployed.status == 0, "\(deployed)\n\(cluster.log(1))")
            var stackServices: [String] = []
            let stackUp = try await cluster.eventually(20) {
                stackServices = lines(try await docker(1, ["stack", "services", "--format", "{{.Name}} {{.Replicas}}", "shop"]))
                return stackServices.sorted() == ["shop_cache 1/1", "shop_front 2/2"]
            }
            #expect(stackUp, "\(stackServices)")
            let stackTasks = lines(try await docker(1, ["stack", "ps", "--format", "{{.Name}} {{.CurrentState}}", "shop"]))
            #expect(stackTasks.count == 3 && stackTasks.allSatisfy { $0.contains(" Running ") }, "\(stackTasks)")
            #expect(try await docker(1, ["stack", "ls", "--format", "{{.Name}} {{.Services}}"]).stdout == "shop 2\n")
            #expect(try await docker(1, ["stack", "rm", "shop"]).status == 0)
            let stackGone = try await cluster.eventually(30) {
                let networks = try await docker(1, ["network", "ls", "-q", "--filter", "name=shop_back"])
                let services = try await docker(1, ["service", "ls", "-q"])
                return networks.stdout.isEmpty && services.stdout.isEmpty
            }
            let networksLeft = try await docker(1, ["network", "ls"])
            #expect(stackGone, "\(networksLeft)")

            // Secrets and configs reach only the hosts that run their tasks, as read-only files on a tmpfs
            // (/run/secrets/NAME; a config at its target), never in clear on a host's disk; they go with the task.
            let secretValue = "s3cr3t-\(run.id)"
            try secretValue.write(toFile: run.path("secret.txt"), atomically: true, encoding: .utf8)
            try #require(try await docker(1, ["secret", "create", "db", run.path("secret.txt")]).status == 0)
            try "x=1\n".write(toFile: run.path("app.conf"), atomically: true, encoding: .utf8)
            try #require(try await docker(1, ["config", "create", "appconf", run.path("app.conf")]).status == 0)
            let withSecrets = try await docker(1, [
                "service", "create", "--name", "sec", "--constraint", "node.hostname==\(cluster.host(2))",
                "--secret", "db", "--secret", "source=db,target=copy,mode=0400",
                "--config", "source=appconf,target=/etc/app.conf", "--stop-grace-period", "1s", "bb", "sleep", "1000",
            ])
            try #require(withSecrets.status == 0, "\(withSecrets)\n\(cluster.log(1))")
            let task = lines(try await docker(2, ["ps", "-q", "--filter", "label=com.docker.swarm.service.name=sec"]))
            try #require(task.count == 1, "\(task)")
            let seen = try await docker(2, ["exec", task[0], "sh", "-c",
                "cat /run/secrets/db; echo; stat -c '%a' /run/secrets/db /run/secrets/copy; cat /etc/app.conf; mount | grep -cE ' on (/run/secrets/(db|copy)|/etc/app.conf) type tmpfs [(]ro'"])
            #expect(seen.stdout == "\(secretValue)\n444\n400\nx=1\n3\n", "\(seen)")
            for node in 1...3 {
                let onDisk = try await Shell.run("/usr/bin/grep", ["-rlF", secretValue, cluster.dataRoot(node)])
                #expect(onDisk.stdout.isEmpty, "node \(node): \(onDisk)")
            }
            #expect(try await docker(1, ["service", "rm", "sec"]).status == 0)
            #expect(try await docker(1, ["secret", "rm", "db"]).status == 0)

            // Global: one task on every host, named by a template; a constraint no host meets leaves the task
            // pending with Docker's reason.
            let global = try await docker(1, ["service", "create", "--name", "everywhere", "--mode", "global",
                                              "--hostname", "{{.Node.Hostname}}-{{.Service.Name}}",
                                              "--stop-grace-period", "1s", "bb", "sleep", "1000"])
            try #require(global.status == 0, "\(global)")
            let everywhere = lines(try await docker(1, ["service", "ps", "--format", "{{.Node}}", "everywhere"]))
            #expect(Set(everywhere) == Set((1...3).map { cluster.host($0) }) && everywhere.count == 3, "\(everywhere)")
            let onTwo = lines(try await docker(2, ["ps", "-q", "--filter", "label=com.docker.swarm.service.name=everywhere"]))
            try #require(onTwo.count == 1, "\(onTwo)")
            #expect(try await docker(2, ["exec", onTwo[0], "hostname"]).stdout == "\(cluster.host(2))-everywhere\n")
            #expect(try await docker(1, ["service", "create", "--detach", "--name", "nowhere", "--constraint",
                                         "node.labels.zone==mars", "bb", "sleep", "1000"]).status == 0)
            var pending: [String] = []
            let unschedulable = try await cluster.eventually(10) {
                pending = lines(try await docker(1, ["service", "ps", "--no-trunc", "--format", "{{.CurrentState}}|{{.Error}}", "nowhere"]))
                return pending.count == 1 && pending[0].hasPrefix("Pending ")
                    && pending[0].hasSuffix("|\"no suitable node (scheduling constraints not satisfied on 3 nodes)\"")
            }
            #expect(unschedulable, "\(pending)")
            #expect(try await docker(1, ["service", "rm", "everywhere", "nowhere"]).status == 0)

            // `--publish mode=host`: the task's own host answers on the port, the others do not.
            let hostMode = try await docker(1, ["service", "create", "--name", "direct", "--constraint",
                                                "node.hostname==\(cluster.host(3))", "--publish",
                                                "mode=host,published=8088,target=80", "--stop-grace-period", "1s",
                                                "bb", "httpd", "-f", "-p", "80", "-h", "/www"])
            try #require(hostMode.status == 0, "\(hostMode)")
            func fetch(_ node: Int) async throws -> Shell.Result {
                try await Shell.run("/usr/bin/nsenter", ["--net=" + cluster.netns(2), "--", "/bin/busybox", "timeout", "5",
                                                         "/bin/busybox", "wget", "-qO-", "http://\(cluster.address(node)):8088/"])
            }
            let direct = try await fetch(3)
            #expect(direct.stdout == "svc-ok\n", "\(direct)")
            #expect(try await fetch(1).status != 0)
            let ports = try await docker(1, ["service", "ps", "--format", "{{.Ports}}", "direct"])
            #expect(ports.stdout == "*:8088->80/tcp\n", "\(ports)")
            #expect(try await docker(1, ["service", "rm", "direct"]).status == 0)

            // The routing mesh: a port published in ingress mode answers on every host's address, also on a host
            // that runs no task, spread over the tasks wherever they run.
            let meshed = try await docker(1, ["service", "create", "--name", "mesh", "--replicas", "2", "--constraint",
                                              "node.hostname!=\(cluster.host(1))", "--publish", "8090:80",
                                              "--stop-grace-period", "1s", "bb", "sh", "-c",
                                              "mkdir -p /w/cgi-bin && hostname > /w/host && printf '\(Self.clientLogger)' "
                                              + "> /w/cgi-bin/addr && chmod +x /w/cgi-bin/addr && exec httpd -f -p 80 -h /w"])
            try #require(meshed.status == 0, "\(meshed)\n\(cluster.log(1))")
            func viaMesh(_ node: Int, from client: Int = 2) async throws -> Shell.Result {
                try await Shell.run("/usr/bin/nsenter", ["--net=" + cluster.netns(client), "--", "/bin/busybox", "timeout",
                                                         "5", "/bin/busybox", "wget", "-qO-",
                                                         "http://\(cluster.address(node)):8090/host"])
            }
            var meshAnswers: Set<String> = []
            let spreadOverTasks = try await cluster.eventually(30) {
                let reply = try await viaMesh(1)
                if reply.status == 0 { meshAnswers.insert(reply.stdout) }
                return meshAnswers.count == 2
            }
            #expect(spreadOverTasks, "\(meshAnswers)\n\(cluster.log(1))")
            for node in [2, 3] {
                let reply = try await viaMesh(node, from: 1)
                #expect(reply.status == 0 && meshAnswers.contains(reply.stdout), "\(node): \(reply)")
            }
            // Beyond Docker (moby#25526): the task sees the client's own address, also for a request sent to a host
            // that runs no task (host 1), and logs it.
            let clientSeen = try await Shell.run("/usr/bin/nsenter", ["--net=" + cluster.netns(2), "--", "/bin/busybox",
                                                                "timeout", "5", "/bin/busybox", "wget", "-qO-",
                                                                "http://\(cluster.address(1)):8090/cgi-bin/addr"])
            // (httpd listens on a dual-stack socket: it writes an IPv4 client as [::ffff:A.B.C.D].)
            func ipv4(_ text: String) -> String {
                text.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "[::ffff:", with: "")
                    .replacingOccurrences(of: "]", with: "")
            }
            #expect(clientSeen.status == 0 && ipv4(clientSeen.stdout) == cluster.address(2), "\(clientSeen)\n\(cluster.log(1))")
            var logged: [String] = []
            for node in [2, 3] {
                for task in lines(try await docker(node, ["ps", "-q", "--filter", "label=com.docker.swarm.service.name=mesh"])) {
                    logged += lines(try await docker(node, ["exec", task, "cat", "/w/clients"]))
                }
            }
            #expect(logged.map(ipv4) == [cluster.address(2)], "\(logged)")
            let ingressID = try await docker(1, ["network", "inspect", "-f", "{{.ID}} {{.Ingress}}", "ingress"]).stdout
            #expect(ingressID.hasSuffix(" true\n"), "\(ingressID)")
            let meshEndpoint = try await docker(1, ["service", "inspect", "-f",
                                                    "{{json .Endpoint.Ports}} {{(index .Endpoint.VirtualIPs 0).NetworkID}}", "mesh"])
            #expect(meshEndpoint.stdout == "[{\"Protocol\":\"tcp\",\"TargetPort\":80,\"PublishedPort\":8090,\"PublishMode\":\"ingress\"}] "
                    + ingressID.split(separator: " ")[0] + "\n", "\(meshEndpoint)")
            let sandbox = try await docker(1, ["network", "inspect", "-f", "{{(index .Containers \"ingress-sbox\").Name}}", "ingress"])
            #expect(sandbox.stdout == "ingress-endpoint\n", "\(sandbox)")
            // Docker's refusals: the port is the service's, and the ingress network stays while a service publishes.
            let taken = try await docker(1, ["service", "create", "--name", "thief", "-p", "8090:80", "bb", "true"])
            #expect(taken.status != 0 && taken.stderr.contains("port '8090' is already in use by service 'mesh'"), "\(taken)")
            // (The CLI asks before it removes the routing mesh's network.)
            let keep = try await cluster.docker(1, ["network", "rm", "ingress"], stdin: "y\n")
            #expect(keep.status != 0 && keep.stderr.contains("ingress network cannot be removed because service"), "\(keep)")
            // `-p 80`: the port comes from Docker's dynamic range.
            try #require(try await docker(1, ["service", "create", "-d", "--name", "dynamic", "-p", "80", "bb", "true"]).status == 0)
            let dynamic = try await docker(1, ["service", "inspect", "-f", "{{(index .Endpoint.Ports 0).PublishedPort}}", "dynamic"])
            #expect(dynamic.stdout == "30000\n", "\(dynamic)")
            #expect(try await docker(1, ["service", "rm", "mesh", "dynamic"]).status == 0)
            let closed = try await cluster.eventually(20) { try await viaMesh(1).status != 0 }
            #expect(closed)

            // Beyond Docker: a service keeps its mesh ports to the hosts' swarm addresses
            // (shoal.publish.address=internal). Host 1 gets a second address; the port stays closed there.
            let second = cluster.address(199)
            try await Shell.sh("nsenter --net=\(cluster.netns(1)) ip addr add \(second)/24 dev eth0")
            let internalOnly = try await docker(1, ["service", "create", "--name", "inside", "--label",
                                                    "shoal.publish.address=internal", "--publish", "8093:80",
                                                    "--stop-grace-period", "1s", "bb", "httpd", "-f", "-p", "80", "-h", "/www"])
            try #require(internalOnly.status == 0, "\(internalOnly)")
            func fetchInside(_ address: String) async throws -> Shell.Result {
                try await Shell.run("/usr/bin/nsenter", ["--net=" + cluster.netns(2), "--", "/bin/busybox", "timeout",
                                                         "3", "/bin/busybox", "wget", "-qO-", "http://\(address):8093/"])
            }
            let onInternal = try await cluster.eventually(20) { try await fetchInside(cluster.address(1)).stdout == "svc-ok\n" }
            #expect(onInternal)
            #expect(try await fetchInside(second).status != 0)
            let badLabel = try await docker(1, ["service", "create", "--name", "bad", "--label",
                                                "shoal.publish.address=everywhere", "-p", "8094:80", "bb", "true"])
            #expect(badLabel.status != 0 && badLabel.stderr.contains("invalid value for label shoal.publish.address"),
                    "\(badLabel)")
            #expect(try await docker(1, ["service", "rm", "inside"]).status == 0)

            // Drained, a host's tasks move to the others; paused, it keeps its tasks but gets no new one.
            let spread = try await docker(1, ["service", "create", "--name", "spread", "--replicas", "3",
                                              "--stop-grace-period", "1s", "bb", "sleep", "1000"])
            try #require(spread.status == 0, "\(spread)")
            func nodesOf(_ service: String) async throws -> [String] {
                lines(try await docker(1, ["service", "ps", "--filter", "desired-state=running", "--format",
                                           "{{.Node}} {{.CurrentState}}", service]))
            }
            #expect(Set(try await nodesOf("spread").map { $0.split(separator: " ")[0] }).count == 3)
            #expect(try await docker(1, ["node", "update", "--availability", "drain", cluster.host(3)]).status == 0)
            var after: [String] = []
            let drained = try await cluster.eventually(20) {
                after = try await nodesOf("spread")
                return after.count == 3 && after.allSatisfy { !$0.hasPrefix(cluster.host(3)) && $0.contains("Running") }
            }
            #expect(drained, "\(after)")
            #expect(lines(try await docker(1, ["node", "ps", "--filter", "desired-state=running", "-q", cluster.host(3)])).isEmpty)
            #expect(try await docker(1, ["node", "update", "--availability", "active", cluster.host(3)]).status == 0)
            // Beyond Docker: set active again, the host gets its share back, a task at a time, start-first.
            let rebalanced = try await cluster.eventually(30) {
                after = try await nodesOf("spread")
                return after.count == 3 && after.allSatisfy { $0.contains("Running") }
                    && Set(after.map { $0.split(separator: " ")[0] }).count == 3
            }
            #expect(rebalanced, "\(after)")
            #expect(try await docker(1, ["node", "update", "--availability", "pause", cluster.host(2)]).status == 0)
            #expect(try await docker(1, ["service", "scale", "spread=5"]).status == 0)
            let paused = try await nodesOf("spread")
            #expect(paused.filter { $0.hasPrefix(cluster.host(2) + " ") }.count
                        == after.filter { $0.hasPrefix(cluster.host(2) + " ") }.count, "\(after) → \(paused)")
            #expect(try await docker(1, ["node", "update", "--availability", "active", cluster.host(2)]).status == 0)
            #expect(try await docker(1, ["service", "rm", "spread"]).status == 0)

            // A host whose daemon dies: once it is Down its tasks run elsewhere at once (no restart delay: they did
            // not fail), and when it comes back it stops the container of the task it no longer has.
            try #require(try await docker(1, ["swarm", "update", "--dispatcher-heartbeat", "1s"]).status == 0)
            // (Not rebalanced: here the host that comes back must end up with none of the service's containers.)
            let moved = try await docker(1, ["service", "create", "--name", "moved", "--replicas", "3",
                                             "--label", "shoal.rebalance=false", "--stop-grace-period", "1s", "bb",
                                             "sleep", "1000"])
            try #require(moved.status == 0, "\(moved)")
            let arguments = try await ClusterStateFile.stopDaemon(3, in: cluster.stateFile)
            let down = try await cluster.eventually(20) {
                try await cluster.table(on: 1).contains("\(cluster.host(3)) Down")
            }
            let table = try await cluster.table(on: 1)
            try #require(down, "\(table)")
            let markedDown = Date()
            var running: [String] = []
            let rescheduled = try await cluster.eventually(20) {
                running = lines(try await docker(1, ["service", "ps", "--filter", "desired-state=running", "--format",
                                                     "{{.Node}} {{.CurrentState}}", "moved"]))
                return running.count == 3 && running.allSatisfy { !$0.hasPrefix(cluster.host(3)) && $0.contains("Running") }
            }
            #expect(rescheduled, "\(running)\n\(cluster.log(1))")
            print("services: tasks of a Down host Running elsewhere \(String(format: "%.2f", Date().timeIntervalSince(markedDown))) s after it was marked Down")
            try ClusterStateFile.startDaemon(3, in: cluster.stateFile, arguments: arguments)
            let stopped = try await cluster.eventually(30) {
                lines(try await docker(3, ["ps", "-q", "--filter", "label=com.docker.swarm.service.name=moved"])).isEmpty
            }
            let leftOn3 = try await docker(3, ["ps", "-a"])
            #expect(stopped, "\(leftOn3)\n\(cluster.log(3))")

            // A host that leaves the swarm takes its task containers away with it (as Docker does).
            let onHost2 = lines(try await docker(2, ["ps", "-a", "-q", "--filter", "label=com.docker.swarm.service.name=moved"]))
            #expect(!onHost2.isEmpty)
            let leaving = try await docker(2, ["swarm", "leave"])
            #expect(leaving.status == 0, "\(leaving)")
            #expect(lines(try await docker(2, ["ps", "-a", "-q", "--filter", "label=com.docker.swarm.service.name=moved"])).isEmpty)
        }
    }
}
