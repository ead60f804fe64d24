import Foundation
import ShoalTestSupport
import Testing

/// Issue 12's rolling updates and rebalancing that drop nothing: a 10-replica web service with a health check is
/// updated start-first, then stop-first, two at a time, and one host is drained and made active again (the tasks
/// spread back onto it), all under constant HTTP load through its VIP (a client container on the overlay, on
/// another host) and through the routing mesh (the host's own requests to a node's published port). A new task
/// takes traffic only once healthy; an old one leaves the VIP, the mesh and DNS before its stop signal and
/// finishes what it has (its server keeps answering for a moment after SIGTERM, as a well-behaved server does).
/// Every request of both loads must succeed. Each request is a new connection, so each is balanced anew; the
/// clients pause 10 ms between requests (the suite shares two cores).
@Suite(.timeLimit(.minutes(8))) struct ZeroDropUpdateTests {
    /// Requests `URL` on new connections until the file `STOP` exists; prints `OK FAILED`, then the first
    /// failures with their times.
    static let load = """
        import os, sys, time, urllib.request
        url, stop = sys.argv[1], sys.argv[2]
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        ok, failed = 0, []
        while not os.path.exists(stop):
            try:
                opener.open(url, timeout=5).read()
                ok += 1
            except Exception as error:
                failed.append("%.3f %s" % (time.time(), error))
            time.sleep(0.01)
        print(ok, len(failed))
        print("\\n".join(failed[:20]))
        """

    @Test func aStartFirstRollingUpdateUnderLoadDropsNoRequest() async throws {
        try await TestRun.with("zerodrop") { run in
            let cluster = LocalClusterFixture(run, prefix: "zd", subnetOctet: 89, shoalTimeout: 150, dockerTimeout: 90)
            let up = try await cluster.up(nodes: 3, managers: 1, swarm: true, extra: ["--dns", "127.0.0.1:1053"])
            try #require(up.status == 0, "\(up)")
            try await cluster.importBusybox(as: "web", on: 1...3, adding: "mkdir -p www && echo served > www/index.html")
            func docker(_ node: Int, _ arguments: [String]) async throws -> Shell.Result {
                try await cluster.docker(node, arguments)
            }
            try #require(try await docker(1, ["network", "create", "-d", "overlay", "--attachable", "front"]).status == 0)
            // httpd in the background; on SIGTERM the shell (pid 1) lets it answer for 2 s more, then ends.
            let server = "trap 'sleep 2; exit 0' TERM; httpd -p 80 -h /www; while true; do sleep 0.2; done"
            let created = try await docker(1, [
                "service", "create", "-d", "--name", "web", "--replicas", "10", "--network", "front",
                "--publish", "published=8080,target=80", "--stop-grace-period", "10s",
                // (busybox's wget -T crashes, in Debian 12's busybox too: the check's own timeout bounds it)
                // Checked every 2 s: a check is a runc exec (~60 ms of CPU), and twelve tasks checked faster
                // would take the suite's two cores from the tests beside it.
                "--health-cmd", "wget -q -O /dev/null http://127.0.0.1/", "--health-timeout", "2s",
                "--health-interval", "2s",
                "--health-retries", "3", "--update-order", "start-first", "--update-parallelism", "2",
                "--update-delay", "0s", "web", "sh", "-c", server,
            ])
            try #require(created.status == 0, "\(created)")
            var replicas = ""
            let running = try await cluster.eventually(120) {
                replicas = try await docker(1, ["service", "ls", "--format", "{{.Replicas}}"]).stdout
                return replicas == "10/10\n"
            }
            try #require(running, "\(replicas)\n\(cluster.log(1))")

            // Load through the VIP: a client on host 2 asks `web` (the VIP) in a loop.
            let client = try await docker(2, ["run", "-d", "--name", "client", "--network", "front", "web", "sh", "-c",
                                              "while [ ! -f /stop ]; do timeout 5 wget -q -O /dev/null http://web/; code=$?; if [ $code = 0 ]; then echo ok; else echo fail $code; fi; usleep 10000; done"])
            try #require(client.status == 0, "\(client)")
            // Load through the mesh: this host asks host 3's published port.
            let stop = run.path("stop")
            async let mesh = Shell.run("/usr/bin/python3", ["-c", Self.load, "http://\(cluster.address(3)):8080/", stop],
                                       timeout: 300)
            let warm = try await cluster.eventually(30) {
                try await docker(2, ["logs", "client"]).stdout.contains("ok\n")
            }
            #expect(warm)

            /// Each host's running tasks of the service, hosts in order.
            func spread() async throws -> [Int] {
                let placed = try await docker(1, ["service", "ps", "--filter", "desired-state=running", "--format",
                                                  "{{.Node}} {{.CurrentState}}", "web"]).stdout
                let running = placed.split(separator: "\n").filter { $0.contains(" Running") }
                return (1...3).map { node in running.filter { $0.hasPrefix(cluster.host(node) + " ") }.count }
            }
            // Start-first, then stop-first (ten replicas: the others answer while one is replaced).
            for (version, order) in [(2, "start-first"), (3, "stop-first")] {
                let updated = try await docker(1, ["service", "update", "-d", "--update-order", order, "--env-add",
                                                   "VERSION=\(version)", "web"])
                #expect(updated.status == 0, "\(updated)")
                var state = ""
                let done = try await cluster.eventually(240) {
                    state = try await docker(1, ["service", "inspect", "-f", "{{.UpdateStatus.State}}", "web"]).stdout
                    return state == "completed\n"
                }
                #expect(done, "\(order): \(state)\n\(cluster.log(1))")
                var counts: [Int] = []
                let settled = try await cluster.eventually(60) {
                    counts = try await spread()
                    return counts.reduce(0, +) == 10
                }
                #expect(settled, "\(order): \(counts)")
            }
            // Rebalancing: host 3 drained (its tasks move), then active again; the tasks spread back onto it one
            // at a time, start-first.
            #expect(try await docker(1, ["node", "update", "--availability", "drain", cluster.host(3)]).status == 0)
            var counts: [Int] = []
            let drained = try await cluster.eventually(120) {
                counts = try await spread()
                return counts[2] == 0 && counts.reduce(0, +) == 10
            }
            #expect(drained, "\(counts)")
            #expect(try await docker(1, ["node", "update", "--availability", "active", cluster.host(3)]).status == 0)
            let activated = Date()
            let even = try await cluster.eventually(180) {
                counts = try await spread()
                return counts.reduce(0, +) == 10 && counts.max()! - counts.min()! <= 1
            }
            #expect(even, "\(counts)\n\(cluster.log(1))")
            print("zero-drop update: rebalanced to \(counts) \(String(format: "%.1f", Date().timeIntervalSince(activated))) s after the host was active again")
            // A moment of load on the new tasks alone, then both loads stop.
            try await Task.sleep(for: .seconds(2))
            try Data().write(to: URL(fileURLWithPath: stop))
            #expect(try await docker(2, ["exec", "client", "touch", "/stop"]).status == 0)
            let meshResult = try await mesh
            let meshCounts = meshResult.stdout.split(separator: "\n").first?.split(separator: " ").compactMap { Int($0) } ?? []
            try await Task.sleep(for: .seconds(1))
            let vipLines = try await docker(2, ["logs", "client"]).stdout.split(separator: "\n")
            let vipOK = vipLines.filter { $0 == "ok" }.count
            // busybox timeout ends a hung wget with SIGTERM: 143.
            let vipFailures = vipLines.filter { $0.hasPrefix("fail") }
            let vipHung = vipFailures.filter { $0 == "fail 143" }.count
            let meshFailures = meshResult.stdout.split(separator: "\n").dropFirst().map(String.init)
            let meshHung = meshFailures.filter { $0.hasSuffix(" timed out") }.count
            print("zero-drop update: VIP \(vipOK) requests, \(vipFailures.count) failed (\(vipHung) hung); mesh "
                + "\(meshCounts.first ?? 0) requests, \(meshCounts.last ?? -1) failed (\(meshHung) hung)")
            if !vipFailures.isEmpty || meshCounts.last != 0 {
                // What the swarm looked like, to tell a drop from a host that fell behind.
                print(try await docker(1, ["node", "ls"]).stdout)
                print(try await docker(1, ["service", "ps", "--no-trunc", "web"]).stdout)
                for node in 1...3 { print("host \(node):\n" + cluster.log(node)) }
            }
            // No request is refused, reset, answered wrongly or left hanging: a task takes traffic only once it
            // serves and leaves before it stops, and the hosts' bridges keep their MAC while tasks come and go
            // (a bridge following its ports' lowest MAC left the mesh's replies going to the old one).
            #expect(vipOK > 50 && vipFailures.isEmpty, "VIP: \(vipOK) ok, \(vipFailures)")
            #expect(meshCounts.count == 2 && meshCounts[0] > 50 && meshCounts[1] == 0, "mesh: \(meshResult)")
            _ = try await docker(2, ["rm", "-f", "client"])
            _ = try await docker(1, ["service", "rm", "web"])
        }
    }
}
