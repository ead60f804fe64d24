import Foundation
import ShoalTestSupport
import Testing

/// The embedded DNS server at 127.0.0.11 on user networks, driven with the stock CLI: names, aliases, short IDs
/// and host names scoped to shared networks, PTR, forwarding to the daemon's upstream (a loopback server of the
/// test's own), and records that follow the container's life.
@Suite(.timeLimit(.minutes(3))) struct NetworkDNSTests {
    /// A daemon whose upstream is the test's loopback DNS server, with busybox loaded and a user network.
    struct Setup {
        let run: TestRun
        let daemon: DaemonFixture
        let upstream: UpstreamDNS
        let network: String
    }

    static func setUp(_ run: TestRun) async throws -> Setup {
        let upstream = try await UpstreamDNS.start(in: run, answers: ["outside.shoal-test": "203.0.113.7"])
        let daemon = try await DaemonFixture(run, arguments: ["--dns", upstream.address])
        try await daemon.loadBusybox()
        let network = run.name("net")
        try await daemon.dockerOK(["network", "create", network])
        return Setup(run: run, daemon: daemon, upstream: upstream, network: network)
    }

    /// `nslookup NAME 127.0.0.11` from a throwaway container on `network`: the addresses answered, or nil.
    static func lookup(_ daemon: DaemonFixture, _ name: String, on network: String) async throws -> [String]? {
        let result = try await daemon.docker(["run", "--rm", "--network", network, "busybox", "nslookup", name])
        guard result.status == 0 else { return nil }
        return addresses(in: result.stdout)
    }

    /// Addresses after the `Name:` line of busybox nslookup's output.
    static func addresses(in output: String) -> [String] {
        guard let range = output.range(of: "Name:") else { return [] }
        return output[range.upperBound...].split(separator: "\n").compactMap { line in
            line.hasPrefix("Address:") ? line.split(separator: " ").last.map(String.init) : nil
        }
    }

    @Test func namesAliasesShortIDsAndHostnamesResolveOnTheSharedNetwork() async throws {
        try await TestRun.with("dnsnames") { run in
            let setup = try await Self.setUp(run)
            let (daemon, network) = (setup.daemon, setup.network)
            let id = try await daemon.dockerOK(["run", "-d", "--name", "db", "--network", network, "--network-alias", "database",
                                                "-h", "dbhost", "busybox", "sleep", "1000"])
            let ip = try await daemon.dockerOK(["inspect", "-f", "{{(index .NetworkSettings.Networks \"\(network)\").IPAddress}}", "db"])
            #expect(ip.hasPrefix("10.\(daemon.addressBlock)."), "\(ip)")
            for name in ["db", "database", String(id.prefix(12)), "dbhost"] {
                #expect(try await Self.lookup(daemon, name, on: network) == [ip], "\(name)")
            }
            // PTR for the container's address names it.
            let reverse = try await daemon.dockerOK(["run", "--rm", "--network", network, "busybox", "nslookup", ip])
            #expect(reverse.contains("db"), "\(reverse)")
            // Other names go to the daemon's upstream, from the host's namespace.
            #expect(try await Self.lookup(daemon, "outside.shoal-test", on: network) == ["203.0.113.7"])
            #expect(setup.upstream.queries.contains("outside.shoal-test"))
            #expect(try await Self.lookup(daemon, "missing.shoal-test", on: network) == nil)
            // No IPv6 address: AAAA answers NOERROR with nothing, which nslookup reports without an error.
            let aaaa = try await daemon.docker(["run", "--rm", "--network", network, "busybox", "nslookup", "-type=AAAA", "db"])
            #expect(!aaaa.stdout.contains("NXDOMAIN") && !aaaa.stderr.contains("NXDOMAIN"), "\(aaaa)")
            #expect(Self.addresses(in: aaaa.stdout).isEmpty)

            // resolv.conf and hosts as Docker writes them on a user network.
            let resolv = try await daemon.dockerOK(["exec", "db", "cat", "/etc/resolv.conf"])
            #expect(resolv.contains("nameserver 127.0.0.11") && resolv.contains("options ndots:0"), "\(resolv)")
            #expect(!resolv.split(separator: "\n").contains { $0.hasPrefix("nameserver") && !$0.contains("127.0.0.11") })
            // `--dns-search` and `--dns-option` replace those lines (on a user network and on the default bridge).
            for (net, nameserver) in [(network, "nameserver 127.0.0.11"), ("bridge", "nameserver 10.99.0.53")] {
                let chosen = try await daemon.dockerOK([
                    "run", "--rm", "--network", net, "--dns", "10.99.0.53", "--dns-search", "a.lan", "--dns-search",
                    "b.lan", "--dns-option", "ndots:2", "--dns-option", "timeout:3", "busybox", "cat", "/etc/resolv.conf"])
                let lines = chosen.split(separator: "\n").map(String.init)
                #expect(lines.contains(nameserver) && lines.contains("search a.lan b.lan")
                            && lines.contains("options ndots:2 timeout:3")
                            && lines.filter { $0.hasPrefix("search ") || $0.hasPrefix("options ") }.count == 2, "\(chosen)")
            }
            let inspected = try await daemon.dockerOK(["create", "--dns-search", "c.lan", "--dns-option", "rotate", "busybox"])
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{json .HostConfig.DnsSearch}} {{json .HostConfig.DnsOptions}}",
                                               inspected]) == "[\"c.lan\"] [\"rotate\"]")
            let hosts = try await daemon.dockerOK(["exec", "db", "cat", "/etc/hosts"])
            #expect(hosts.hasPrefix("127.0.0.1\tlocalhost\n"), "\(hosts)")
            #expect(hosts.hasSuffix("\(ip)\tdbhost"), "\(hosts)")
        }
    }

    @Test func namesAreScopedToSharedNetworks() async throws {
        try await TestRun.with("dnsscope") { run in
            let setup = try await Self.setUp(run)
            let daemon = setup.daemon
            let other = setup.run.name("oth")
            try await daemon.dockerOK(["network", "create", other])
            try await daemon.dockerOK(["run", "-d", "--name", "inone", "--network", setup.network, "busybox", "sleep", "1000"])
            #expect(try await Self.lookup(daemon, "inone", on: setup.network) != nil)
            #expect(try await Self.lookup(daemon, "inone", on: other) == nil)
            // Default bridge: no embedded DNS at all, as in Docker.
            try await daemon.dockerOK(["run", "-d", "--name", "onbridge", "busybox", "sleep", "1000"])
            let probe = try await daemon.docker(["run", "--rm", "busybox", "sh", "-c",
                                                 "cat /etc/resolv.conf; timeout 3 nslookup onbridge 127.0.0.11"])
            #expect(probe.status != 0, "\(probe)")
            #expect(!probe.stdout.contains("nameserver 127.0.0.11"), "\(probe.stdout)")
        }
    }

    @Test func aNewContainerResolvesByTheTimeRunReturnsEveryTime() async throws {
        try await TestRun.with("dnsfast") { run in
            let setup = try await Self.setUp(run)
            let daemon = setup.daemon
            try await daemon.dockerOK(["run", "-d", "--name", "peer", "--network", setup.network, "busybox", "sleep", "1000"])
            for n in 0..<8 {
                try await daemon.dockerOK(["run", "-d", "--name", "fresh\(n)", "--network", setup.network, "busybox", "sleep", "1000"])
                let answer = try await daemon.docker(["exec", "peer", "nslookup", "fresh\(n)"])
                #expect(answer.status == 0, "fresh\(n) did not resolve at once: \(answer)")
            }
        }
    }

    @Test func recordsFollowRestartRemoveAndDisconnect() async throws {
        try await TestRun.with("dnslife") { run in
            let setup = try await Self.setUp(run)
            let (daemon, network) = (setup.daemon, setup.network)
            try await daemon.dockerOK(["run", "-d", "--name", "peer", "--network", network, "busybox", "sleep", "1000"])
            try await daemon.dockerOK(["run", "-d", "--name", "life", "--network", network, "busybox", "sleep", "1000"])
            #expect(try await daemon.docker(["exec", "peer", "nslookup", "life"]).status == 0)
            try await daemon.dockerOK(["restart", "-t", "0", "life"])
            let ip = try await daemon.dockerOK(["inspect", "-f", "{{(index .NetworkSettings.Networks \"\(network)\").IPAddress}}", "life"])
            let afterRestart = try await daemon.docker(["exec", "peer", "nslookup", "life"])
            #expect(afterRestart.status == 0 && Self.addresses(in: afterRestart.stdout) == [ip], "\(afterRestart)")
            try await daemon.dockerOK(["network", "disconnect", network, "life"])
            #expect(try await daemon.docker(["exec", "peer", "nslookup", "life"]).status != 0)
            try await daemon.dockerOK(["network", "connect", "--alias", "again", network, "life"])
            #expect(try await daemon.docker(["exec", "peer", "nslookup", "again"]).status == 0)
            try await daemon.dockerOK(["rename", "life", "renamed"])
            #expect(try await daemon.docker(["exec", "peer", "nslookup", "renamed"]).status == 0)
            #expect(try await daemon.docker(["exec", "peer", "nslookup", "life"]).status != 0)
            try await daemon.dockerOK(["rm", "-f", "renamed"])
            #expect(try await daemon.docker(["exec", "peer", "nslookup", "renamed"]).status != 0)
            #expect(try await daemon.docker(["exec", "peer", "nslookup", "again"]).status != 0)
        }
    }
}
