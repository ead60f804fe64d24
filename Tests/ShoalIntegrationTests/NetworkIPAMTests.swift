import Foundation
import ShoalTestSupport
import Testing

/// IPAM through the CLI: subnets from the daemon's pools skip routes already on the host, run out with
/// Docker's error and come back when released; a full subnet refuses the next container cleanly; outbound
/// traffic leaves masqueraded behind the host's address; network events.
@Suite(.timeLimit(.minutes(3))) struct NetworkIPAMTests {
    @Test func poolsSkipHostRoutesRunOutAndAreReused() throws {
        let run = try TestRun("ipampool")
        defer { run.cleanup() }
        // A pool of four /24s; the first one is already routed on the host (a dummy link of the test's own).
        let block = DaemonFixture.nextAddressBlock()
        let taken = run.name("rt")
        run.onCleanup("remove \(taken)") { _ = try? Shell.run("/usr/sbin/ip", ["link", "del", taken]) }
        try Shell.sh("ip link add \(taken) type bridge && ip addr add 10.\(block).64.1/24 dev \(taken) && ip link set \(taken) up")
        let small = try DaemonFixture(run, addressPools: ["base=10.\(block).64.0/22,size=24"], addressBlock: block)
        func subnet(_ name: String) throws -> String {
            try small.dockerOK(["network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", name])
        }
        let names = (1...4).map { run.name("p\($0)") }
        for name in names.prefix(3) { try small.dockerOK(["network", "create", name]) }
        #expect(try subnet(names[0]) == "10.\(block).65.0/24")
        #expect(try subnet(names[1]) == "10.\(block).66.0/24")
        #expect(try subnet(names[2]) == "10.\(block).67.0/24")
        let full = try small.docker(["network", "create", names[3]])
        #expect(full.status == 1)
        #expect(full.stderr.contains(
            "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network"),
            "\(full.stderr)")
        try small.dockerOK(["network", "rm", names[1]])
        try small.dockerOK(["network", "create", names[3]])
        #expect(try subnet(names[3]) == "10.\(block).66.0/24")
    }

    @Test func aFullSubnetRefusesTheNextContainerCleanly() throws {
        let run = try TestRun("ipamfull")
        defer { run.cleanup() }
        let daemon = try DaemonFixture(run)
        try daemon.loadBusybox()
        let name = run.name("tiny")
        try daemon.dockerOK(["network", "create", "--subnet", "10.\(daemon.addressBlock).230.0/30", name])
        try daemon.dockerOK(["run", "-d", "--name", "only", "--network", name, "busybox", "sleep", "1000"])
        let bridge = "br-" + (try daemon.dockerOK(["network", "inspect", "-f", "{{.Id}}", name])).prefix(12)
        let refused = try daemon.docker(["run", "-d", "--name", "extra", "--network", name, "busybox", "sleep", "1000"])
        #expect(refused.status == 125)
        #expect(refused.stderr.contains("no available addresses"), "\(refused.stderr)")
        #expect(try daemon.dockerOK(["inspect", "-f", "{{.State.Status}}", "extra"]) == "created")
        let ports = try Shell.run("/usr/sbin/ip", ["-o", "link", "show", "master", bridge]).stdout
        #expect(ports.split(separator: "\n").count == 1, "\(ports)")
        // Released by the first container, the address serves the second.
        try daemon.dockerOK(["rm", "-f", "only"])
        try daemon.dockerOK(["start", "extra"])
        #expect(try daemon.dockerOK(["inspect", "-f", "{{(index .NetworkSettings.Networks \"\(name)\").IPAddress}}", "extra"])
            == "10.\(daemon.addressBlock).230.2")
    }

    @Test func outboundTrafficIsMasqueradedAndEventsAreReported() throws {
        let run = try TestRun("masq")
        defer { run.cleanup() }
        let daemon = try DaemonFixture(run)
        try daemon.loadBusybox()
        let since = String(Int(Date().timeIntervalSince1970) - 1)
        let outside = try OutsideNamespace(in: run, subnetPrefix: "10.\(daemon.addressBlock).252")
        // A listener in the other namespace that answers with the address it sees.
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        listener.arguments = ["netns", "exec", outside.name, "python3", "-c", """
            import socket
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", 9999)); s.listen()
            while True:
                c, peer = s.accept(); c.sendall((peer[0] + "\\n").encode()); c.close()
            """]
        try listener.run()
        run.onCleanup("kill listener") { kill(listener.processIdentifier, SIGKILL); listener.waitUntilExit() }
        let network = run.name("m")
        try daemon.dockerOK(["network", "create", network])
        try daemon.dockerOK(["run", "-d", "--name", "out", "--network", network, "busybox", "sleep", "1000"])
        var seen = ""
        for _ in 0..<30 where seen.isEmpty {
            seen = try daemon.docker(["exec", "out", "sh", "-c", "timeout 2 nc \(outside.namespaceAddress) 9999"])
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            if seen.isEmpty { usleep(100_000) }
        }
        #expect(seen == outside.hostAddress, "the peer should see the host's address, saw '\(seen)'")

        try daemon.dockerOK(["network", "disconnect", network, "out"])
        try daemon.dockerOK(["rm", "-f", "out"])
        try daemon.dockerOK(["network", "rm", network])
        let events = try daemon.dockerOK(["events", "--since", since, "--until", String(Int(Date().timeIntervalSince1970) + 1),
                                          "--filter", "type=network", "--format", "{{.Action}} {{.Actor.Attributes.name}}"])
        let actions = events.split(separator: "\n").map(String.init).filter { $0.hasSuffix(" \(network)") }
        #expect(actions == ["create \(network)", "connect \(network)", "disconnect \(network)", "destroy \(network)"],
                "\(events)")
    }
}
