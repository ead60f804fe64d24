import Foundation
import ShoalTestSupport
import Testing

/// Published ports and isolation with the stock CLI: reachable from the host (127.0.0.1 included), from another
/// namespace through the host's address and from containers (hairpin), never on addresses not bound; `docker
/// port` as Docker prints it; taken ports refused; networks isolated from each other; internal networks closed.
@Suite(.timeLimit(.minutes(3))) struct NetworkPortTests {
    /// Ports published on every address are also published on IPv6 where the host has it (Docker 20.10.6+).
    static let hostHasIPv6 = (try? String(contentsOfFile: "/proc/sys/net/ipv6/conf/all/disable_ipv6", encoding: .utf8))?
        .hasPrefix("0") == true

    static let web = ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && httpd -f -p 80 -h /www"]

    @Test func publishedPortsAreReachableWhereBoundAndOnlyThere() async throws {
        try await TestRun.with("ports") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let outside = try await OutsideNamespace(in: run, subnetPrefix: "10.\(daemon.addressBlock).250")
            let network = run.name("net")
            try await daemon.dockerOK(["network", "create", network])
            let all = 20000 + Int.random(in: 0..<5000)
            let local = all + 5000
            try await daemon.dockerOK(["run", "-d", "--name", "web", "-h", "webhost", "--network", network,
                                       "-p", "\(all):80", "-p", "127.0.0.1:\(local):80", "busybox"] + Self.web)
            try await daemon.dockerOK(["run", "-d", "--name", "client", "--network", network, "busybox", "sleep", "1000"])
            var ready = false
            for _ in 0..<50 where !ready {
                ready = try await HTTPProbe.get("http://127.0.0.1:\(all)/", timeout: 1) == "webhost\n"
                if !ready { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(ready, "published port not reachable on 127.0.0.1\n\(daemon.daemonLog(lines: 30))")
            #expect(try await HTTPProbe.get("http://127.0.0.1:\(local)/") == "webhost\n")
            #expect(try await HTTPProbe.get("http://\(outside.hostAddress):\(all)/") == "webhost\n")
            // From another namespace through the host's address; the 127.0.0.1 binding is not there.
            let fromOutside = try await outside.run(HTTPProbe.arguments("http://\(outside.hostAddress):\(all)/"))
            #expect(fromOutside.stdout == "webhost\n", "\(fromOutside)")
            #expect(try await outside.run(HTTPProbe.arguments("http://\(outside.hostAddress):\(local)/", timeout: 1)).status != 0)
            #expect(try await HTTPProbe.get("http://\(outside.hostAddress):\(local)/", timeout: 1) == nil)
            // Hairpin: a peer, and the container itself, through the host's address.
            for container in ["client", "web"] {
                let hairpin = try await daemon.docker(["exec", container, "timeout", "3", "wget", "-q", "-O", "-",
                                                       "http://\(outside.hostAddress):\(all)/"])
                #expect(hairpin.stdout == "webhost\n", "\(container): \(hairpin)")
            }
            // Unpublished: the container's own address is not reachable from outside even with a route to it.
            let ip = try await daemon.dockerOK(["inspect", "-f", "{{(index .NetworkSettings.Networks \"\(network)\").IPAddress}}", "web"])
            _ = try? await outside.run(["ip", "route", "add", "10.\(daemon.addressBlock).0.0/16", "via", outside.hostAddress])
            #expect(try await outside.run(HTTPProbe.arguments("http://\(ip):80/", timeout: 1)).status != 0)

            let v6 = Self.hostHasIPv6
            let listed = try await daemon.dockerOK(["port", "web"])
            // The CLI lists IPv4 bindings before IPv6 ones.
            #expect(listed == "80/tcp -> 0.0.0.0:\(all)\n80/tcp -> 127.0.0.1:\(local)" + (v6 ? "\n80/tcp -> [::]:\(all)" : ""),
                    "\(listed)")
            let one = try await daemon.dockerOK(["port", "web", "80"])
            #expect(one == "0.0.0.0:\(all)\n127.0.0.1:\(local)" + (v6 ? "\n[::]:\(all)" : ""), "\(one)")
            if v6 {
                // The IPv6 side is relayed to the container by the daemon; the 127.0.0.1 binding has none.
                #expect(try await HTTPProbe.get("http://[::1]:\(all)/") == "webhost\n")
                #expect(try await HTTPProbe.get("http://[::1]:\(local)/", timeout: 1) == nil)
            }
            let missing = try await daemon.docker(["port", "web", "3306/tcp"])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("Error: No public port '3306/tcp' published for web"), "\(missing.stderr)")
            let ps = try await daemon.dockerOK(["ps", "--filter", "name=web", "--format", "{{.Ports}}"])
            #expect(ps == "0.0.0.0:\(all)->80/tcp, 127.0.0.1:\(local)->80/tcp" + (v6 ? ", [::]:\(all)->80/tcp" : ""), "\(ps)")

            // Stopping withdraws the publication at once.
            try await daemon.dockerOK(["stop", "-t", "0", "web"])
            #expect(try await HTTPProbe.get("http://127.0.0.1:\(all)/", timeout: 1) == nil)
            if v6 { #expect(try await HTTPProbe.get("http://[::1]:\(all)/", timeout: 1) == nil) }
            let rules = try await Shell.run("/usr/sbin/nft", ["list", "table", "ip", daemon.firewallTable]).stdout
            #expect(!rules.contains("dport \(all)"), "\(rules)")
        }
    }

    @Test func takenPortsAreRefusedAndTheContainerDoesNotStart() async throws {
        try await TestRun.with("porttaken") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let port = 30000 + Int.random(in: 0..<5000)
            try await daemon.dockerOK(["run", "-d", "--name", "first", "-p", "\(port):80", "busybox", "sleep", "1000"])
            let second = try await daemon.docker(["run", "-d", "--name", "second", "-p", "\(port):80", "busybox", "sleep", "1000"])
            #expect(second.status == 125)
            #expect(second.stderr.contains("Bind for 0.0.0.0:\(port) failed: port is already allocated"), "\(second.stderr)")
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Status}}", "second"]) == "created")

            // A port some other program holds on the host.
            let held = port + 1
            _ = try run.startProcess("port holder", "/usr/bin/python3", [
                "-c", "import socket,time; s=socket.socket(); s.bind(('0.0.0.0', \(held))); s.listen(); time.sleep(60)",
            ])
            try await Task.sleep(for: .milliseconds(300))
            let third = try await daemon.docker(["run", "-d", "--name", "third", "-p", "\(held):80", "busybox", "sleep", "1000"])
            #expect(third.status == 125)
            #expect(third.stderr.contains("address already in use"), "\(third.stderr)")
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Status}}", "third"]) == "created")
            // Nothing was left half-applied: the failed containers hold no address, interface or rule.
            let rules = try await Shell.run("/usr/sbin/nft", ["list", "table", "ip", daemon.firewallTable]).stdout
            #expect(!rules.contains("dport \(held)"))
            let bridgePorts = try await Shell.run("/usr/sbin/ip", ["-o", "link", "show", "master", daemon.bridgeName]).stdout
            #expect(bridgePorts.split(separator: "\n").count == 1, "\(bridgePorts)")
        }
    }

    @Test func publishAllUsesExposedPortsAndEphemeralHostPorts() async throws {
        try await TestRun.with("portall") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            // Another program holds the first port of the ephemeral range (this test, or whoever had it already):
            // the engine skips it for the next one instead of failing the run.
            let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(holder) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(49153).bigEndian
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            try await daemon.dockerOK(["run", "-d", "--name", "all", "-P", "--expose", "8080", "--expose", "53/udp",
                                       "busybox", "sleep", "1000"])
            let text = try await daemon.dockerOK(["port", "all"])
            let lines = text.split(separator: "\n").map(String.init).filter { !$0.contains("[::]") }
            #expect(lines.count == 2, "\(text)")
            #expect(text.split(separator: "\n").count == (Self.hostHasIPv6 ? 4 : 2), "\(text)")
            for (line, spec) in zip(lines.sorted(), ["53/udp", "8080/tcp"]) {
                #expect(line.hasPrefix("\(spec) -> 0.0.0.0:"), "\(line)")
                let port = Int(line.split(separator: ":").last ?? "") ?? 0
                #expect((49153...65535).contains(port), "\(line)")
                if spec == "8080/tcp" { #expect(port != 49153, "\(line)") }
            }
            let inspect = try await daemon.dockerOK(["inspect", "-f", "{{json .NetworkSettings.Ports}}", "all"])
            #expect(inspect.contains("\"8080/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\""), "\(inspect)")
        }
    }

    @Test func networksAreIsolatedAndInternalNetworksAreClosed() async throws {
        try await TestRun.with("isolate") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let (a, b, closed) = (run.name("na"), run.name("nb"), run.name("ni"))
            try await daemon.dockerOK(["network", "create", a])
            try await daemon.dockerOK(["network", "create", b])
            try await daemon.dockerOK(["network", "create", "--internal", closed])
            let listen = ["sh", "-c", "while true; do echo pong | nc -l -p 7777; done"]
            try await daemon.dockerOK(["run", "-d", "--name", "a1", "--network", a, "busybox"] + listen)
            try await daemon.dockerOK(["run", "-d", "--name", "a2", "--network", a, "busybox", "sleep", "1000"])
            try await daemon.dockerOK(["run", "-d", "--name", "b1", "--network", b, "busybox", "sleep", "1000"])
            try await daemon.dockerOK(["run", "-d", "--name", "i1", "--network", closed, "busybox"] + listen)
            try await daemon.dockerOK(["run", "-d", "--name", "i2", "--network", closed, "busybox", "sleep", "1000"])
            let a1 = try await daemon.dockerOK(["inspect", "-f", "{{(index .NetworkSettings.Networks \"\(a)\").IPAddress}}", "a1"])
            let i1 = try await daemon.dockerOK(["inspect", "-f", "{{(index .NetworkSettings.Networks \"\(closed)\").IPAddress}}", "i1"])
            func talk(_ from: String, _ ip: String) async throws -> Bool {
                let result = try await daemon.docker(["exec", from, "sh", "-c", "echo ping | timeout 2 nc \(ip) 7777"])
                return result.stdout.contains("pong")
            }
            var reached = false
            for _ in 0..<20 where !reached {
                reached = try await talk("a2", a1)
                if !reached { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(reached, "containers on one network must reach each other on any port")
            #expect(try await !talk("b1", a1), "another network must not reach a1")
            #expect(try await talk("i2", i1), "an internal network still connects its own containers")
            #expect(try await !talk("a2", i1), "nothing outside reaches an internal network")
            // An internal network has no route out, an ordinary one has its default route.
            let routes = try await daemon.dockerOK(["exec", "i1", "ip", "route"])
            #expect(!routes.contains("default"), "\(routes)")
            #expect(try await daemon.dockerOK(["exec", "a2", "ip", "route"]).contains("default via "))
            let outside = try await OutsideNamespace(in: run, subnetPrefix: "10.\(daemon.addressBlock).251")
            let out = try await daemon.docker(["exec", "i2", "sh", "-c", "echo x | timeout 2 nc \(outside.hostAddress) 22"])
            #expect(out.status != 0)
        }
    }

    /// A UDP echo server: busybox has no UDP listener, so the test compiles one (static, from the host's gcc and
    /// libc) and copies it into the container before it starts.
    static let udpEcho = """
        #include <netinet/in.h>
        #include <sys/socket.h>
        int main(void) {
            int fd = socket(AF_INET, SOCK_DGRAM, 0);
            struct sockaddr_in a = {0}; a.sin_family = AF_INET; a.sin_port = htons(5000);
            if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) return 1;
            char buffer[2048]; struct sockaddr_in peer; socklen_t length;
            for (;;) {
                length = sizeof peer;
                ssize_t n = recvfrom(fd, buffer, sizeof buffer, 0, (struct sockaddr *)&peer, &length);
                if (n > 0) sendto(fd, buffer, (size_t)n, 0, (struct sockaddr *)&peer, length);
            }
        }
        """

    @Test func udpPortsArePublishedOnIPv4AndIPv6() async throws {
        try await TestRun.with("portudp") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try Self.udpEcho.write(toFile: run.path("udpecho.c"), atomically: true, encoding: .utf8)
            try await Shell.sh("gcc -static -O2 -o \(run.path("udpecho")) \(run.path("udpecho.c"))")
            let port = 36000 + Int.random(in: 0..<2000)
            try await daemon.dockerOK(["create", "--name", "echo", "-p", "\(port):5000/udp", "busybox", "/udpecho"])
            try await daemon.dockerOK(["cp", run.path("udpecho"), "echo:/udpecho"])
            try await daemon.dockerOK(["start", "echo"])
            let addresses = ["127.0.0.1"] + (Self.hostHasIPv6 ? ["::1"] : [])
            for address in addresses {
                let result = try await Shell.run("/usr/bin/python3", ["-c", """
                    import socket, sys
                    family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
                    s = socket.socket(family, socket.SOCK_DGRAM); s.settimeout(0.5)
                    for attempt in range(20):
                        s.sendto(b"ping-%d" % attempt, (sys.argv[1], int(sys.argv[2])))
                        try:
                            print(s.recvfrom(100)[0].decode()); break
                        except socket.timeout:
                            pass
                    """, address, String(port)])
                #expect(result.stdout.hasPrefix("ping-"), "\(address):\(port)/udp got no echo: \(result)")
            }
            #expect(try await daemon.dockerOK(["port", "echo", "5000/udp"])
                == "0.0.0.0:\(port)" + (Self.hostHasIPv6 ? "\n[::]:\(port)" : ""))
        }
    }
}
