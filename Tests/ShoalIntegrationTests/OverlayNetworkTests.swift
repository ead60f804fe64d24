import Foundation
import ShoalTestSupport
import Testing

/// Overlay networks across the hosts of a swarm made by `shoal cluster up`, driven with the stock docker CLI:
/// created on a manager (the leader allocates subnet and VNI), used by containers on two workers that find
/// each other by name and talk over VXLAN, isolated from another overlay, refused where Docker refuses, and gone
/// everywhere once removed.
@Suite(.serialized, .timeLimit(.minutes(6))) struct OverlayNetworkTests {
    /// A 3-host swarm (host 1 manages) with busybox loaded on every host. The hosts' containers forward unknown
    /// names to a loopback port where nothing listens: the machine's resolver is never asked.
    static func swarm(_ run: TestRun, extra: [String] = []) async throws -> LocalClusterFixture {
        let cluster = LocalClusterFixture(run, prefix: "o", subnetOctet: 244, shoalTimeout: 150, dockerTimeout: 30)
        let up = try await cluster.up(nodes: 3, managers: 1, swarm: true, extra: ["--dns", "127.0.0.1:1053"] + extra)
        try #require(up.status == 0, "\(up)")
        let rootfs = run.path("rootfs")
        try BusyboxRootfs.make(at: rootfs)
        try await Shell.sh("mkdir -p \(rootfs)/www && echo overlay-ok > \(rootfs)/www/index.html"
            + " && head -c 1048576 /dev/urandom > \(rootfs)/www/big && tar -C \(rootfs) -cf \(run.path("bb.tar")) .")
        for node in 1...3 {
            let loaded = try await cluster.docker(node, ["import", run.path("bb.tar"), "bb"])
            try #require(loaded.status == 0, "\(loaded)")
        }
        return cluster
    }

    @Test func containersOnTwoHostsFindEachOtherOverAnAttachableOverlay() async throws {
        try await TestRun.with("overlay") { run in
            let cluster = try await Self.swarm(run)
            func docker(_ node: Int, _ arguments: [String]) async throws -> Shell.Result {
                try await cluster.docker(node, arguments)
            }

            // Created on the manager: swarm scope, a /24 of 10.0.0.0/8 and a VNI from 4096 up, after the swarm's
            // ingress network (10.0.0.0/24, 4096), as on Docker.
            let created = try await docker(1, ["network", "create", "-d", "overlay", "--attachable", "--label", "k=v", "app"])
            try #require(created.status == 0, "\(created)\n\(cluster.log(1))")
            let inspect = try await docker(1, ["network", "inspect", "app", "--format",
                                               "{{.Driver}} {{.Scope}} {{.Attachable}} {{(index .IPAM.Config 0).Subnet}} {{index .Options \"com.docker.network.driver.overlay.vxlanid_list\"}} {{.Labels.k}}"])
            #expect(inspect.stdout == "overlay swarm true 10.0.1.0/24 4097 v\n", "\(inspect)")
            #expect(try await docker(1, ["network", "ls", "--filter", "scope=swarm", "--format", "{{.Name}}"]).stdout
                == "app\ningress\n")
            let ingress = try await docker(1, ["network", "inspect", "ingress", "--format",
                                               "{{.Driver}} {{.Scope}} {{.Ingress}} {{.Attachable}} {{(index .IPAM.Config 0).Subnet}} {{index .Options \"com.docker.network.driver.overlay.vxlanid_list\"}}"])
            #expect(ingress.stdout == "overlay swarm true false 10.0.0.0/24 4096\n", "\(ingress)")
            // A worker neither creates overlays nor lists one none of its containers uses (as on Docker).
            let fromWorker = try await docker(2, ["network", "create", "-d", "overlay", "nope"])
            #expect(fromWorker.status != 0 && fromWorker.stderr.contains("Cannot create a multi-host network from a worker node"),
                    "\(fromWorker)")
            #expect(!(try await docker(2, ["network", "ls", "--format", "{{.Name}}"]).stdout.contains("app")))

            // web on host 2, client on host 3: names resolve across hosts, HTTP (1 MB too) crosses VXLAN.
            let web = try await docker(2, ["run", "-d", "--name", "web", "--network", "app", "--network-alias", "www",
                                           "bb", "httpd", "-f", "-p", "80", "-h", "/www"])
            try #require(web.status == 0, "\(web)\n\(cluster.log(2))")
            let client = try await docker(3, ["run", "-d", "--name", "client", "--network", "app", "bb", "sleep", "1000"])
            try #require(client.status == 0, "\(client)\n\(cluster.log(3))")
            func address(_ node: Int, _ container: String) async throws -> String {
                try await docker(node, ["inspect", "-f", "{{.NetworkSettings.Networks.app.IPAddress}}", container]).stdout
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let firstIP = try await address(2, "web")
            #expect(firstIP.hasPrefix("10.0.1."), "\(firstIP)")
            // A restarted container resolves to its current address on the other host, never to an old one.
            #expect(try await docker(2, ["restart", "-t", "1", "web"]).status == 0)
            let webIP = try await address(2, "web")
            #expect(webIP.hasPrefix("10.0.1."), "\(webIP)")
            var resolved = ""
            let found = try await cluster.eventually(30) {
                resolved = try await docker(3, ["exec", "client", "nslookup", "www"]).stdout
                return resolved.contains(webIP) && (webIP == firstIP || !resolved.contains(firstIP))
            }
            #expect(found, "\(resolved)\n\(cluster.log(3))")
            let page = try await docker(3, ["exec", "client", "timeout", "5", "wget", "-q", "-O", "-", "http://web/"])
            #expect(page.stdout == "overlay-ok\n", "\(page)")
            let big = try await docker(3, ["exec", "client", "sh", "-c",
                                           "timeout 10 wget -q -O /tmp/big http://web/big && wc -c < /tmp/big"])
            #expect(big.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1048576", "\(big)")
            // docker-py too: an overlay made on the manager, and a container on host 3 reaching web by name.
            let py = """
                import docker, sys
                manager = docker.DockerClient(base_url="unix://" + sys.argv[1])
                made = manager.networks.create("pynet", driver="overlay", attachable=True)
                print(made.attrs["Driver"], made.attrs["Scope"], made.attrs["Attachable"])
                made.remove()
                node3 = docker.DockerClient(base_url="unix://" + sys.argv[2])
                out = node3.containers.run("bb", ["timeout", "5", "wget", "-q", "-O", "-", "http://web/"],
                                           network="app", remove=True)
                print(out.decode().strip())
                """
            let viaPython = try await Shell.run("/usr/bin/env", ["python3", "-c", py, cluster.socket(1), cluster.socket(3)])
            #expect(viaPython.stdout == "overlay swarm True\noverlay-ok\n", "\(viaPython.stdout)\(viaPython.stderr)")
            // A renamed container answers to its new name on the other host, and no longer to the old one.
            try #require(try await docker(2, ["run", "-d", "--name", "before", "--network", "app", "bb", "sleep", "1000"])
                .status == 0)
            let renamedIP = try await address(2, "before")
            #expect(try await cluster.eventually(30) {
                try await docker(3, ["exec", "client", "nslookup", "before"]).stdout.contains(renamedIP)
            })
            #expect(try await docker(2, ["rename", "before", "after"]).status == 0)
            var renamedView = ""
            let followed = try await cluster.eventually(30) {
                let new = try await docker(3, ["exec", "client", "nslookup", "after"]).stdout
                let old = try await docker(3, ["exec", "client", "nslookup", "before"]).stdout
                renamedView = new + old
                return new.contains(renamedIP) && !old.contains(renamedIP)
            }
            #expect(followed, "\(renamedView)")
            #expect(try await docker(2, ["rm", "-f", "after"]).status == 0)
            // Host 2 lists the overlay now that a container of its own uses it; the manager shows both hosts as peers.
            #expect(try await docker(2, ["network", "ls", "--format", "{{.Name}} {{.Scope}}"]).stdout.contains("app swarm"))
            let peers = try await docker(1, ["network", "inspect", "app", "--format", "{{range .Peers}}{{.Name}} {{end}}"])
            #expect(peers.stdout.contains(cluster.host(2)) && peers.stdout.contains(cluster.host(3)), "\(peers)")
            // The way out: docker_gwbridge on the worker, and the container reaches another host's underlay address.
            #expect(try await docker(2, ["network", "ls", "--format", "{{.Name}}"]).stdout.contains("docker_gwbridge"))
            let out = try await docker(2, ["exec", "web", "ping", "-c", "1", "-W", "2", cluster.address(1)])
            #expect(out.status == 0, "\(out)")

            // Another overlay is isolated: its container reaches no address of `app`, even on the same host.
            #expect(try await docker(1, ["network", "create", "-d", "overlay", "--attachable", "other"]).status == 0)
            let stranger = try await docker(2, ["run", "-d", "--name", "stranger", "--network", "other", "bb",
                                                "sleep", "1000"])
            try #require(stranger.status == 0, "\(stranger)")
            let crossing = try await docker(2, ["exec", "stranger", "ping", "-c", "1", "-W", "1", webIP])
            #expect(crossing.status != 0, "\(crossing)")
            let unknown = try await docker(2, ["exec", "stranger", "nslookup", "web"])
            #expect(!unknown.stdout.contains(webIP), "\(unknown)")

            // In use: the manager refuses to remove it. A removed container stops resolving on the other host.
            let busy = try await docker(1, ["network", "rm", "app"])
            #expect(busy.status != 0 && busy.stderr.contains("is in use"), "\(busy)")
            // Prune, as Docker's: a worker prunes only its own networks; a manager also the swarm's unused ones.
            try #require(try await docker(1, ["network", "create", "-d", "overlay", "idle"]).status == 0)
            let workerPrune = try await docker(2, ["network", "prune", "-f"])
            #expect(workerPrune.status == 0 && !workerPrune.stdout.contains("idle"), "\(workerPrune)")
            let managerPrune = try await docker(1, ["network", "prune", "-f"])
            #expect(managerPrune.status == 0 && managerPrune.stdout.contains("idle"), "\(managerPrune)")
            #expect(!managerPrune.stdout.contains("app") && !managerPrune.stdout.contains("other"), "\(managerPrune)")
            let left = try await docker(1, ["network", "ls", "--filter", "scope=swarm", "--format", "{{.Name}}"])
            // The ingress network is never pruned (as on Docker).
            #expect(left.stdout.split(separator: "\n").sorted() == ["app", "ingress", "other"], "\(left)")
            #expect(try await docker(2, ["rm", "-f", "web"]).status == 0)
            let gone = try await cluster.eventually(30) {
                try await !docker(3, ["exec", "client", "nslookup", "web"]).stdout.contains(webIP)
            }
            #expect(gone)
            #expect(try await docker(3, ["rm", "-f", "client"]).status == 0)
            #expect(try await docker(2, ["rm", "-f", "stranger"]).status == 0)
            let removed = try await docker(1, ["network", "rm", "app", "other"])
            #expect(removed.status == 0, "\(removed)")
            #expect(try await docker(1, ["network", "ls", "--filter", "scope=swarm", "--format", "{{.Name}}"]).stdout
                == "ingress\n")
            // Host 2 keeps no overlay device behind.
            let links = try await Shell.run("/usr/bin/nsenter", ["--net=" + cluster.netns(2), "/usr/sbin/ip", "-o", "link"])
            #expect(!links.stdout.contains("vx-") && !links.stdout.contains("ov-"), "\(links.stdout)")
        }
    }

    @Test func refusalsLeaveNothingBehind() async throws {
        try await TestRun.with("overlaybad") { run in
            let cluster = try await Self.swarm(run)
            func docker(_ node: Int, _ arguments: [String]) async throws -> Shell.Result {
                try await cluster.docker(node, arguments)
            }
            #expect(try await docker(1, ["network", "create", "-d", "overlay", "--subnet", "10.77.0.0/16", "closed"])
                .status == 0)
            // Not attachable: refused as Docker refuses it (exit 125), on a worker and on the manager.
            for node in [2, 1] {
                let run = try await docker(node, ["run", "--rm", "--network", "closed", "bb", "true"])
                #expect(run.status == 125 && run.stderr.contains("network closed not manually attachable"), "\(run)")
            }
            // Overlapping subnet, gateway outside the subnet, a name taken: refused, nothing allocated.
            let overlap = try await docker(1, ["network", "create", "-d", "overlay", "--subnet", "10.77.3.0/24", "x1"])
            #expect(overlap.status != 0 && overlap.stderr.contains("Pool overlaps with other one on this address space"),
                    "\(overlap)")
            let gateway = try await docker(1, ["network", "create", "-d", "overlay", "--subnet", "10.78.0.0/24",
                                               "--gateway", "10.79.0.1", "x2"])
            #expect(gateway.status != 0, "\(gateway)")
            let twice = try await docker(1, ["network", "create", "-d", "overlay", "closed"])
            #expect(twice.status != 0 && twice.stderr.contains("already exists"), "\(twice)")
            #expect(try await docker(1, ["network", "ls", "--filter", "scope=swarm", "--format", "{{.Name}}"]).stdout
                == "closed\ningress\n")
            // The next network gets the next VNI: the refusals took none.
            #expect(try await docker(1, ["network", "create", "-d", "overlay", "next"]).status == 0)
            let vni = try await docker(1, ["network", "inspect", "next", "--format",
                                           "{{index .Options \"com.docker.network.driver.overlay.vxlanid_list\"}}"])
            #expect(vni.stdout == "4098\n", "\(vni)")
            // An unknown network.
            let unknown = try await docker(2, ["run", "--rm", "--network", "nosuch", "bb", "true"])
            #expect(unknown.status == 125 && unknown.stderr.contains("network nosuch not found"), "\(unknown)")
            // A host outside any swarm refuses overlays with Docker's message.
            let single = try await docker(1, ["swarm", "leave", "--force"])
            #expect(single.status == 0, "\(single)")
            let outside = try await docker(1, ["network", "create", "-d", "overlay", "solo"])
            #expect(outside.status != 0 && outside.stderr.contains("This node is not a swarm manager"), "\(outside)")
        }
    }

    @Test func publishingInternalAddressesConnectAndFaults() async throws {
        try await TestRun.with("overlayops") { run in
            let cluster = try await Self.swarm(run, extra: ["--dispatcher-heartbeat", "1s"])
            func docker(_ node: Int, _ arguments: [String]) async throws -> Shell.Result {
                try await cluster.docker(node, arguments)
            }
            #expect(try await docker(1, ["network", "create", "-d", "overlay", "--attachable", "--subnet", "10.66.0.0/24",
                                         "-o", "com.docker.network.driver.mtu=1400", "app"]).status == 0)
            #expect(try await docker(1, ["network", "create", "-d", "overlay", "--attachable", "--internal", "sealed"])
                .status == 0)

            // `-p` on an overlay container: published on its host through docker_gwbridge, shown by `docker port`.
            let web = try await docker(2, ["run", "-d", "--name", "web", "--network", "app", "--ip", "10.66.0.77",
                                           "-p", "8080:80", "bb", "httpd", "-f", "-p", "80", "-h", "/www"])
            try #require(web.status == 0, "\(web)\n\(cluster.log(2))")
            #expect(try await docker(2, ["port", "web"]).stdout.contains("80/tcp -> 0.0.0.0:8080"))
            #expect(try await docker(2, ["inspect", "-f", "{{.NetworkSettings.Networks.app.IPAddress}}", "web"]).stdout
                == "10.66.0.77\n")
            var body: String?
            for _ in 0..<30 where body == nil {
                let probe = try await Shell.run("/usr/bin/nsenter", ["--net=" + cluster.netns(1)]
                    + HTTPProbe.arguments("http://\(cluster.address(2)):8080/"))
                body = probe.status == 0 ? probe.stdout : nil
                if body == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(body == "overlay-ok\n", "\(cluster.log(2))")
            let mtu = try await docker(2, ["exec", "web", "cat", "/sys/class/net/eth0/mtu"])
            #expect(mtu.stdout == "1400\n", "\(mtu)")
            // An --internal overlay has no way out: no docker_gwbridge leg, no default route.
            let sealed = try await docker(3, ["run", "--rm", "--network", "sealed", "bb", "ip", "route"])
            #expect(sealed.status == 0 && !sealed.stdout.contains("default"), "\(sealed)")

            // connect and disconnect a running container on another host.
            #expect(try await docker(3, ["run", "-d", "--name", "late", "bb", "sleep", "1000"]).status == 0)
            #expect(try await docker(3, ["network", "connect", "--alias", "joiner", "app", "late"]).status == 0)
            let twice = try await docker(3, ["network", "connect", "app", "late"])
            #expect(twice.status != 0 && twice.stderr.contains("already exists"), "\(twice)")
            #expect(try await cluster.eventually(30) {
                try await docker(2, ["exec", "web", "nslookup", "joiner"]).stdout.contains("10.66.0.")
            })
            #expect(try await docker(3, ["network", "disconnect", "app", "late"]).status == 0)
            // Its interface on the overlay (a macvlan, no host end) is gone from inside the container.
            let left = try await docker(3, ["exec", "late", "ip", "-o", "link"])
            #expect(left.status == 0 && left.stdout.contains("eth0") && !left.stdout.contains("eth1"), "\(left)")
            #expect(try await cluster.eventually(30) {
                try await !docker(2, ["exec", "web", "nslookup", "joiner"]).stdout.contains("10.66.0.")
            })

            // A daemon restart keeps the container connected and resolvable, with the other hosts' endpoints back.
            #expect(try await docker(3, ["run", "-d", "--name", "client", "--network", "app", "bb", "sleep", "1000"])
                .status == 0)
            let arguments = try await ClusterStateFile.stopDaemon(3, in: cluster.stateFile)
            try ClusterStateFile.startDaemon(3, in: cluster.stateFile, arguments: arguments)
            let back = try await cluster.eventually(60) {
                try await docker(3, ["exec", "client", "timeout", "3", "wget", "-q", "-O", "-", "http://web/"]).stdout
                    == "overlay-ok\n"
            }
            #expect(back, "\(cluster.log(3))")

            // A Down host's endpoints are withdrawn elsewhere, and come back with it.
            let stopped = try await ClusterStateFile.stopDaemon(2, in: cluster.stateFile)
            let withdrawn = try await cluster.eventually(60) {
                try await !docker(3, ["exec", "client", "nslookup", "web"]).stdout.contains("10.66.0.77")
            }
            #expect(withdrawn, "\(cluster.log(1))")
            try ClusterStateFile.startDaemon(2, in: cluster.stateFile, arguments: stopped)
            let returned = try await cluster.eventually(60) {
                try await docker(3, ["exec", "client", "nslookup", "web"]).stdout.contains("10.66.0.77")
            }
            #expect(returned, "leader:\n\(cluster.log(1))\nnode 2:\n\(cluster.log(2))\nnode 3:\n\(cluster.log(3))")
            // A host removed from the swarm loses its endpoints everywhere (its container keeps running, alone), so
            // the network is no longer in use.
            #expect(try await docker(1, ["node", "rm", "--force", cluster.host(2)]).status == 0)
            let dropped = try await cluster.eventually(60) {
                try await !docker(3, ["exec", "client", "nslookup", "web"]).stdout.contains("10.66.0.77")
            }
            #expect(dropped, "\(cluster.log(1))")
            // A host that leaves the swarm disconnects its containers from the overlays (they keep running), keeps
            // no overlay device, and gives their endpoints back, so the network is free to go.
            let leave = try await docker(3, ["swarm", "leave"])
            #expect(leave.status == 0, "\(leave)")
            let clientNetworks = try await docker(3, ["inspect", "-f", "{{.State.Running}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", "client"])
            #expect(clientNetworks.stdout == "true \n", "\(clientNetworks)\n\(cluster.log(3))")
            let links = try await Shell.run("/usr/bin/nsenter", ["--net=" + cluster.netns(3), "/usr/sbin/ip", "-o", "link"])
            #expect(!links.stdout.contains("vx-") && !links.stdout.contains("ov-"), "\(links.stdout)")
            for (node, name) in [(3, "client"), (3, "late")] {
                #expect(try await docker(node, ["rm", "-f", name]).status == 0)
            }
            let removed = try await docker(1, ["network", "rm", "app", "sealed"])
            #expect(removed.status == 0, "\(removed)")
            #expect(try await docker(2, ["rm", "-f", "web"]).status == 0)
        }
    }
}
