import Foundation
import ShoalTestSupport
import Testing

/// `docker network create --ipv6`: dual-stack and IPv6-pool networks, `--ip6`, containers' IPv6 addresses and
/// gateway in inspect, AAAA answers from the embedded DNS, IPv6 between containers, isolation between networks,
/// and Docker's refusals.
@Suite(.timeLimit(.minutes(3))) struct NetworkIPv6Tests {
    @Test func dualStackNetworksCarryIPv6BetweenTheirContainersOnly() async throws {
        try await TestRun.with("net6") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            // Unique local prefixes of this daemon's block (the host has fd00::/64 itself).
            let (six, other) = ("fd5e:0:\(daemon.addressBlock):1", "fd5e:0:\(daemon.addressBlock):2")
            let (name, apart) = (run.name("d"), run.name("e"))
            try await daemon.dockerOK(["network", "create", "--ipv6", "--subnet", daemon.subnet(190),
                                       "--subnet", "\(six)::/64", name])
            let shown = try await daemon.dockerOK(["network", "inspect", "-f", "{{.EnableIPv6}} {{json .IPAM.Config}}",
                                                   name])
            let gateway4 = "10.\(daemon.addressBlock).190.1"
            #expect(shown == "true [{\"Subnet\":\"\(daemon.subnet(190))\",\"Gateway\":\"\(gateway4)\"},"
                        + "{\"Subnet\":\"\(six)::/64\",\"Gateway\":\"\(six)::1\"}]", "\(shown)")
            try await daemon.dockerOK(["run", "-d", "--name", "ca", "--network", name, "busybox", "sleep", "1000"])
            try await daemon.dockerOK(["run", "-d", "--name", "cb", "--network", name, "--ip6", "\(six)::99",
                                       "busybox", "sleep", "1000"])
            let a = try await daemon.dockerOK(["inspect", "-f", "{{with index .NetworkSettings.Networks \"\(name)\"}}"
                + "{{.GlobalIPv6Address}} {{.GlobalIPv6PrefixLen}} {{.IPv6Gateway}}{{end}}", "ca"])
            #expect(a == "\(six)::2 64 \(six)::1", "\(a)")
            let b = try await daemon.dockerOK(["inspect", "-f",
                "{{json (index .NetworkSettings.Networks \"\(name)\").IPAMConfig}}", "cb"])
            #expect(b == "{\"IPv6Address\":\"\(six)::99\"}", "\(b)")
            let members = try await daemon.dockerOK(["network", "inspect", "-f",
                "{{range .Containers}}{{.Name}}={{.IPv6Address}} {{end}}", name])
            #expect(Set(members.split(separator: " ").map(String.init)) == ["ca=\(six)::2/64", "cb=\(six)::99/64"])
            #expect(try await daemon.dockerOK(["exec", "ca", "ip", "-6", "route"]).contains("default via \(six)::1"))

            func ping6(_ from: String, _ to: String, wait: String = "2") async throws -> Bool {
                try await daemon.docker(["exec", from, "ping", "-6", "-c", "1", "-W", wait, to]).status == 0
            }
            // Over IPv6, by address and by name (AAAA from 127.0.0.11).
            #expect(try await ping6("ca", "\(six)::99"))
            let aaaa = try await daemon.dockerOK(["exec", "ca", "nslookup", "-type=aaaa", "cb"])
            #expect(aaaa.contains("\(six)::99"), "\(aaaa)")
            #expect(try await ping6("cb", "ca"))
            #expect(try await ping6("cb", "\(six)::1"))

            // A daemon restart keeps the network's IPv6 and the addresses in use: the next container gets the next one.
            await daemon.stopDaemon()
            try await daemon.start()
            try await daemon.dockerOK(["run", "-d", "--name", "cd", "--network", name, "busybox", "sleep", "1000"])
            let next = try await daemon.dockerOK(["inspect", "-f",
                "{{(index .NetworkSettings.Networks \"\(name)\").GlobalIPv6Address}}", "cd"])
            #expect(next == "\(six)::3", "\(next)")
            #expect(try await ping6("cd", "ca"))

            // An IPv6-only pool: the IPv4 subnet comes from the pools and is listed after it, as Docker lists it.
            try await daemon.dockerOK(["network", "create", "--ipv6", "--subnet", "\(other)::/64", apart])
            let config = try await daemon.dockerOK(["network", "inspect", "-f",
                "{{range .IPAM.Config}}{{.Subnet}} {{end}}", apart])
            #expect(config.hasPrefix("\(other)::/64 10.\(daemon.addressBlock)."), "\(config)")
            try await daemon.dockerOK(["run", "-d", "--name", "cc", "--network", apart, "busybox", "sleep", "1000"])
            #expect(try await !ping6("cc", "\(six)::2", wait: "1"),
                    "another IPv6 network must not reach a")
            let table = try await Shell.run("/usr/sbin/nft", ["list", "table", "ip6", daemon.firewallTable])
            #expect(table.status == 0 && table.stdout.contains("drop"), "\(table)")

            // Docker's refusals.
            let refused = { (arguments: [String], message: String, status: Int32) in
                try await NetworkOptionsTests.refused(daemon, arguments, message, status: status)
            }
            try await refused(["run", "--network", name, "--ip6", "fd5f::5", "busybox", "true"],
                              "Invalid address fd5f::5: It does not belong to any of this network's subnets", 125)
            try await refused(["run", "--network", "bridge", "--ip6", "\(six)::5", "busybox", "true"],
                              "user specified IP address is supported on user defined networks only", 125)
            try await refused(["network", "create", "--ipv6", run.name("x")],
                              "could not find an available, non-overlapping IPv6 address pool", 1)
            try await refused(["network", "create", "--ipv6", "--subnet", "\(six):8::/80", run.name("x")],
                              "Pool overlaps with other one on this address space", 1)

            // Gone with its networks: addresses, bridges and the ip6 table.
            try await daemon.dockerOK(["rm", "-f", "ca", "cb", "cc", "cd"])
            try await daemon.dockerOK(["network", "rm", name, apart])
            #expect(try await Shell.run("/usr/sbin/nft", ["list", "table", "ip6", daemon.firewallTable]).status != 0)
        }
    }
}
