import Foundation
import ShoalTestSupport
import Testing

/// `docker network …` with the stock CLI and docker-py: create with every flag, ls filters, inspect with
/// containers, connect/disconnect on running containers, rm, prune, Docker's errors for bad input, and a daemon
/// restart that keeps running containers connected and resolvable and leaves nothing stale.
@Suite(.timeLimit(.minutes(3))) struct NetworkCLITests {
    static func ip(_ daemon: DaemonFixture, _ container: String, _ network: String) async throws -> String {
        try await daemon.dockerOK(["inspect", "-f", "{{(index .NetworkSettings.Networks \"\(network)\").IPAddress}}", container])
    }

    @Test func createWithEveryFlagInspectListAndRemove() async throws {
        try await TestRun.with("netcrud") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let name = run.name("n")
            let bridge = run.name("bx")
            let subnet = daemon.subnet(200)
            let prefix = "10.\(daemon.addressBlock).200"
            let id = try await daemon.dockerOK([
                "network", "create", "-d", "bridge", "--subnet", subnet, "--gateway", "\(prefix).254",
                "--ip-range", "\(prefix).128/25", "--aux-address", "printer=\(prefix).129", "--attachable",
                "--label", "tier=db", "-o", "com.docker.network.bridge.name=\(bridge)",
                "-o", "com.docker.network.driver.mtu=1400", name])
            #expect(id.count == 64)
            let link = try await Shell.run("/usr/sbin/ip", ["-o", "addr", "show", "dev", bridge]).stdout
            #expect(link.contains("\(prefix).254/24"), "\(link)")
            let inspect = try await daemon.dockerOK(["network", "inspect", "-f",
                "{{.Driver}} {{.Scope}} {{.Attachable}} {{.Internal}} {{index .Labels \"tier\"}} {{json .IPAM.Config}}", name])
            #expect(inspect == "bridge local true false db [{\"Subnet\":\"\(subnet)\",\"IPRange\":\"\(prefix).128/25\",\"Gateway\":\"\(prefix).254\",\"AuxiliaryAddresses\":{\"printer\":\"\(prefix).129\"}}]", "\(inspect)")

            // Addresses come from the range, skip the aux address, and are reused after release.
            try await daemon.dockerOK(["run", "-d", "--name", "c1", "--network", name, "busybox", "sleep", "1000"])
            #expect(try await Self.ip(daemon, "c1", name) == "\(prefix).128")
            try await daemon.dockerOK(["run", "-d", "--name", "c2", "--network", name, "busybox", "sleep", "1000"])
            #expect(try await Self.ip(daemon, "c2", name) == "\(prefix).130")
            try await daemon.dockerOK(["run", "-d", "--name", "fixed", "--network", name, "--ip", "\(prefix).140", "busybox", "sleep", "1000"])
            #expect(try await Self.ip(daemon, "fixed", name) == "\(prefix).140")
            #expect(try await daemon.dockerOK(["exec", "c1", "cat", "/sys/class/net/eth0/mtu"]) == "1400")
            let members = try await daemon.dockerOK(["network", "inspect", "-f",
                "{{range .Containers}}{{.Name}}={{.IPv4Address}} {{end}}", name])
            #expect(Set(members.split(separator: " ").map(String.init))
                == ["c1=\(prefix).128/24", "c2=\(prefix).130/24", "fixed=\(prefix).140/24"], "\(members)")
            try await daemon.dockerOK(["rm", "-f", "c1"])
            try await daemon.dockerOK(["run", "-d", "--name", "c3", "--network", name, "busybox", "sleep", "1000"])
            #expect(try await Self.ip(daemon, "c3", name) == "\(prefix).128")

            // ls and its filters.
            let all = try await daemon.dockerOK(["network", "ls", "--format", "{{.Name}} {{.Driver}}"])
            for line in ["bridge bridge", "host host", "none null", "\(name) bridge"] {
                #expect(all.split(separator: "\n").contains(Substring(line)), "\(all)")
            }
            #expect(try await daemon.dockerOK(["network", "ls", "-q", "--filter", "label=tier=db"]) == String(id.prefix(12)))
            #expect(try await daemon.dockerOK(["network", "ls", "--filter", "type=custom", "--format", "{{.Name}}"]) == name)
            #expect(try await daemon.dockerOK(["network", "ls", "--filter", "driver=null", "--format", "{{.Name}}"]) == "none")

            // In use: refused; free: removed with its bridge.
            let inUse = try await daemon.docker(["network", "rm", name])
            #expect(inUse.status == 1)
            #expect(inUse.stderr.contains("has active endpoints"), "\(inUse.stderr)")
            try await daemon.dockerOK(["rm", "-f", "c2", "c3", "fixed"])
            try await daemon.dockerOK(["network", "rm", name])
            #expect(try await Shell.run("/usr/sbin/ip", ["link", "show", bridge]).status != 0)
            let predefined = try await daemon.docker(["network", "rm", "bridge"])
            #expect(predefined.stderr.contains("bridge is a pre-defined network and cannot be removed"), "\(predefined.stderr)")
        }
    }

    @Test func badInputGetsDockersErrorsAndLeavesNothing() async throws {
        try await TestRun.with("netbad") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let name = run.name("n")
            let bridge = run.name("bz")
            try await daemon.dockerOK(["network", "create", "--subnet", daemon.subnet(210), name])
            func refused(_ arguments: [String], _ message: String, status: Int32 = 1) async throws {
                let result = try await daemon.docker(arguments)
                #expect(result.status == status, "\(arguments): \(result)")
                #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            }
            try await refused(["network", "create", name], "network with name \(name) already exists")
            try await refused(["network", "create", "--subnet", daemon.subnet(210), "-o", "com.docker.network.bridge.name=\(bridge)",
                               run.name("o")], "Pool overlaps with other one on this address space")
            #expect(try await Shell.run("/usr/sbin/ip", ["link", "show", bridge]).status != 0, "a refused create left its bridge")
            try await refused(["network", "create", "--subnet", "10.1.2.3/33", run.name("b")], "invalid CIDR address: 10.1.2.3/33")
            try await refused(["network", "create", "--subnet", "10.\(daemon.addressBlock).211.5/24", run.name("b")],
                              "invalid subnet")
            try await refused(["network", "create", "-d", "nosuchdriver", run.name("d")], "plugin \"nosuchdriver\" not found")
            try await refused(["network", "create", "-o", "com.docker.network.driver.mtu=abc", run.name("m")],
                              "failed to parse com.docker.network.driver.mtu value: abc")
            try await refused(["run", "--network", name, "--ip", "10.9.9.9", "busybox", "true"],
                              "It does not belong to any of this network's subnets", status: 125)
            // The CLI refuses this one itself; the daemon says the same to API clients (below).
            try await refused(["run", "--network-alias", "x", "busybox", "true"],
                              "network-scoped aliases are only supported for user-defined networks", status: 125)
            try await refused(["network", "inspect", "nope"], "network nope not found")
            try await refused(["network", "connect", "nope", "nosuchcontainer"], "No such container: nosuchcontainer")

            // Connecting twice, disconnecting what is not connected.
            try await daemon.dockerOK(["run", "-d", "--name", "cc", "--network", name, "busybox", "sleep", "1000"])
            try await refused(["network", "connect", name, "cc"], "endpoint with name cc already exists in network \(name)")
            try await refused(["network", "disconnect", "bridge", "cc"], "is not connected to network bridge")
            try await refused(["network", "connect", "host", "cc"], "container cannot be disconnected from host network or connected to host network")
            try await refused(["network", "connect", "nope", "cc"], "network nope not found")
            // As in Docker, an unknown network fails the start (404), not the create: the container stays created.
            try await refused(["run", "--name", "lost", "--network", "nope", "busybox", "true"], "network nope not found", status: 125)
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Status}}", "lost"]) == "created")

            // The API itself: malformed JSON and an empty name.
            let sock = daemon.socket
            let curl = try await Shell.run("/usr/bin/python3", ["-c", """
                import socket, sys
                def post(path, body):
                    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
                    s.sendall(("POST /v1.41" + path + " HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s" % (len(body), body)).encode())
                    data = b""
                    while True:
                        chunk = s.recv(65536)
                        if not chunk: break
                        data += chunk
                    head, _, rest = data.partition(b"\\r\\n\\r\\n")
                    print(head.split(b" ")[1].decode(), rest.decode().strip().splitlines()[-1] if rest.strip() else "")
                post('/networks/create', '{"Name": ')
                post('/networks/create', '{"Name": ""}')
                post('/containers/create', '{"Image": "busybox", "HostConfig": {"NetworkMode": "bridge"}, "NetworkingConfig": {"EndpointsConfig": {"bridge": {"Aliases": ["x"]}}}}')
                """, sock])
            let lines = curl.stdout.split(separator: "\n")
            #expect(lines.count == 3 && lines[0].hasPrefix("400 ") && lines[0].contains("\"message\""), "\(curl)")
            #expect(lines.count == 3 && lines[1].hasPrefix("400 "), "\(curl)")
            #expect(lines.count == 3 && lines[2].hasPrefix("400 ")
                && lines[2].contains("network-scoped alias is supported only for containers in user defined networks"), "\(curl)")
        }
    }

    @Test func connectAndDisconnectRunningContainersTakeEffectAtOnce() async throws {
        try await TestRun.with("netconn") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let (front, back) = (run.name("f"), run.name("b"))
            try await daemon.dockerOK(["network", "create", front])
            try await daemon.dockerOK(["network", "create", "--subnet", daemon.subnet(220), back])
            try await daemon.dockerOK(["run", "-d", "--name", "app", "--network", front, "busybox", "sleep", "1000"])
            try await daemon.dockerOK(["run", "-d", "--name", "db", "--network", back, "busybox", "sleep", "1000"])
            let fixed = "10.\(daemon.addressBlock).220.77"
            try await daemon.dockerOK(["network", "connect", "--alias", "api", "--ip", fixed, back, "app"])
            let addresses = try await daemon.dockerOK(["exec", "app", "ip", "-o", "-4", "addr"])
            #expect(addresses.contains("eth1") && addresses.contains(fixed), "\(addresses)")
            #expect(try await daemon.dockerOK(["exec", "db", "nslookup", "api"]).contains(fixed))
            #expect(try await daemon.docker(["exec", "app", "ping", "-c", "1", "-W", "2", "db"]).status == 0)
            let networks = try await daemon.dockerOK(["inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", "app"])
            #expect(networks == "\(back) \(front) ", "\(networks)")

            try await daemon.dockerOK(["network", "disconnect", back, "app"])
            #expect(try await !daemon.dockerOK(["exec", "app", "ip", "-o", "-4", "addr"]).contains("eth1"))
            #expect(try await daemon.docker(["exec", "db", "nslookup", "api"]).status != 0)
            #expect(try await daemon.docker(["exec", "app", "ping", "-c", "1", "-W", "1", "db"]).status != 0)
            // Disconnected from its last network too, it runs with none (Docker shows no network at all).
            try await daemon.dockerOK(["network", "disconnect", front, "app"])
            let none = try await daemon.dockerOK(["inspect", "-f", "{{.State.Running}} {{len .NetworkSettings.Networks}}", "app"])
            #expect(none == "true 0", "\(none)")
            try await daemon.dockerOK(["network", "connect", front, "app"])

            // A stopped container joins at its next start; disconnect -f of a removed container succeeds.
            try await daemon.dockerOK(["stop", "-t", "0", "app"])
            try await daemon.dockerOK(["network", "connect", back, "app"])
            try await daemon.dockerOK(["start", "app"])
            #expect(try await daemon.dockerOK(["exec", "db", "nslookup", "app"]).contains("10.\(daemon.addressBlock).220."))
            try await daemon.dockerOK(["network", "disconnect", "-f", back, "no-such-container"])

            // docker-py drives the same API.
            let py = try await Shell.run("/usr/bin/env", ["python3", "-c", """
                import docker, sys
                c = docker.DockerClient(base_url="unix://" + sys.argv[1])
                n = c.networks.create(sys.argv[2], labels={"via": "py"})
                box = c.containers.run("busybox", ["sleep", "1000"], detach=True, network=sys.argv[2], name=sys.argv[2] + "-box")
                box.reload()
                print(box.attrs["NetworkSettings"]["Networks"][sys.argv[2]]["IPAddress"].startswith("10."))
                n.reload()
                print(len(n.containers))
                n.disconnect(box)
                n.reload()
                print(len(n.containers))
                box.remove(force=True)
                n.remove()
                print(sys.argv[2] in [x.name for x in c.networks.list()])
                """, daemon.socket, run.name("py")])
            #expect(py.stdout == "True\n1\n0\nFalse\n", "\(py)")
        }
    }

    @Test func pruneRemovesOnlyUnusedUserNetworks() async throws {
        try await TestRun.with("netprune") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let (used, unused, kept) = (run.name("u"), run.name("x"), run.name("k"))
            for name in [used, unused] { try await daemon.dockerOK(["network", "create", name]) }
            try await daemon.dockerOK(["network", "create", "--label", "keep=yes", kept])
            try await daemon.dockerOK(["run", "-d", "--network", used, "busybox", "sleep", "1000"])
            let output = try await daemon.dockerOK(["network", "prune", "-f", "--filter", "label!=keep"])
            #expect(output.contains(unused) && !output.contains(used) && !output.contains(kept), "\(output)")
            let left = try await daemon.dockerOK(["network", "ls", "--filter", "type=custom", "--format", "{{.Name}}"])
            #expect(Set(left.split(separator: "\n").map(String.init)) == [used, kept])
        }
    }

    @Test func aDaemonRestartKeepsContainersConnectedAndRemovalLeavesNothing() async throws {
        try await TestRun.with("netrestart") { run in
            let upstream = try await UpstreamDNS.start(in: run, answers: [:])
            let daemon = try await DaemonFixture(run, arguments: ["--dns", upstream.address])
            try await daemon.loadBusybox()
            let network = run.name("n")
            try await daemon.dockerOK(["network", "create", network])
            let port = 40000 + Int.random(in: 0..<5000)
            try await daemon.dockerOK(["run", "-d", "--name", "web", "--network", network, "-p", "127.0.0.1:\(port):80",
                                       "busybox"] + NetworkPortTests.web)
            try await daemon.dockerOK(["run", "-d", "--name", "peer", "--network", network, "busybox", "sleep", "1000"])
            let webIP = try await Self.ip(daemon, "web", network)
            await daemon.stopDaemon()
            try await daemon.start()
            #expect(try await Self.ip(daemon, "web", network) == webIP)
            let answer = try await daemon.docker(["exec", "peer", "nslookup", "web"])
            #expect(answer.status == 0 && answer.stdout.contains(webIP), "\(answer)\n\(daemon.daemonLog(lines: 30))")
            var body: String? = nil
            for _ in 0..<20 where body == nil {
                body = try await HTTPProbe.get("http://127.0.0.1:\(port)/", timeout: 1)
                if body == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(body != nil, "published port lost across the restart")
            // A new container still gets a fresh address, not one in use.
            try await daemon.dockerOK(["run", "-d", "--name", "third", "--network", network, "busybox", "sleep", "1000"])
            let third = try await Self.ip(daemon, "third", network)
            let peerIP = try await Self.ip(daemon, "peer", network)
            #expect(third != webIP && third != peerIP)

            // Removing everything leaves no interface, namespace, rule or record behind.
            try await daemon.dockerOK(["rm", "-f", "web", "peer", "third"])
            let bridge = "br-" + (try await daemon.dockerOK(["network", "inspect", "-f", "{{.Id}}", network])).prefix(12)
            let ports = try await Shell.run("/usr/sbin/ip", ["-o", "link", "show", "master", bridge]).stdout
            #expect(ports.isEmpty, "\(ports)")
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: daemon.execRoot + "/netns")) ?? []).isEmpty)
            let rules = try await Shell.run("/usr/sbin/nft", ["list", "table", "ip", daemon.firewallTable]).stdout
            #expect(!rules.contains("dnat to"), "\(rules)")
            try await daemon.dockerOK(["network", "rm", network])
            #expect(try await Shell.run("/usr/sbin/ip", ["link", "show", bridge]).status != 0)
            #expect(try await !Shell.run("/usr/sbin/nft", ["list", "table", "ip", daemon.firewallTable]).stdout.contains(bridge))
        }
    }
}
