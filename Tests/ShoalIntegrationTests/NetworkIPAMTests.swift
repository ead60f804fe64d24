import Foundation
import ShoalTestSupport
import Testing

/// IPAM through the CLI: subnets from the daemon's pools skip routes already on the host, run out with
/// Docker's error and come back when released; a full subnet refuses the next container cleanly; outbound
/// traffic leaves masqueraded behind the host's address; network events.
@Suite(.timeLimit(.minutes(3))) struct NetworkIPAMTests {
    @Test func poolsSkipHostRoutesRunOutAndAreReused() async throws {
        try await TestRun.with("ipampool") { run in
            // A pool of four /24s; the first one is already routed on the host (a dummy link of the test's own).
            let block = DaemonFixture.nextAddressBlock()
            let taken = run.name("rt")
            run.onCleanup("remove \(taken)") { _ = try? await Shell.run("/usr/sbin/ip", ["link", "del", taken]) }
            try await Shell.sh("ip link add \(taken) type bridge && ip addr add 10.\(block).64.1/24 dev \(taken) && ip link set \(taken) up")
            let small = try await DaemonFixture(run, addressPools: ["base=10.\(block).64.0/22,size=24"], addressBlock: block)
            func subnet(_ name: String) async throws -> String {
                try await small.dockerOK(["network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", name])
            }
            let names = (1...4).map { run.name("p\($0)") }
            for name in names.prefix(3) { try await small.dockerOK(["network", "create", name]) }
            #expect(try await subnet(names[0]) == "10.\(block).65.0/24")
            #expect(try await subnet(names[1]) == "10.\(block).66.0/24")
            #expect(try await subnet(names[2]) == "10.\(block).67.0/24")
            let full = try await small.docker(["network", "create", names[3]])
            #expect(full.status == 1)
            #expect(full.stderr.contains(
                "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network"),
                "\(full.stderr)")
            try await small.dockerOK(["network", "rm", names[1]])
            try await small.dockerOK(["network", "create", names[3]])
            #expect(try await subnet(names[3]) == "10.\(block).66.0/24")
        }
    }

    @Test func aFullSubnetRefusesTheNextContainerCleanly() async throws {
        try await TestRun.with("ipamfull") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let name = run.name("tiny")
            try await daemon.dockerOK(["network", "create", "--subnet", "10.\(daemon.addressBlock).230.0/30", name])
            try await daemon.dockerOK(["run", "-d", "--name", "only", "--network", name, "busybox", "sleep", "1000"])
            let bridge = "br-" + (try await daemon.dockerOK(["network", "inspect", "-f", "{{.Id}}", name])).prefix(12)
            let refused = try await daemon.docker(["run", "-d", "--name", "extra", "--network", name, "busybox", "sleep", "1000"])
            #expect(refused.status == 125)
            #expect(refused.stderr.contains("no available addresses"), "\(refused.stderr)")
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.State.Status}}", "extra"]) == "created")
            let ports = try await Shell.run("/usr/sbin/ip", ["-o", "link", "show", "master", bridge]).stdout
            #expect(ports.split(separator: "\n").count == 1, "\(ports)")
            // Released by the first container, the address serves the second.
            try await daemon.dockerOK(["rm", "-f", "only"])
            try await daemon.dockerOK(["start", "extra"])
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{(index .NetworkSettings.Networks \"\(name)\").IPAddress}}", "extra"])
                == "10.\(daemon.addressBlock).230.2")
        }
    }

    @Test func outboundTrafficIsMasqueradedAndEventsAreReported() async throws {
        try await TestRun.with("masq") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            let since = String(Int(Date().timeIntervalSince1970) - 1)
            let outside = try await OutsideNamespace(in: run, subnetPrefix: "10.\(daemon.addressBlock).252")
            // A listener in the other namespace that answers with the address it sees.
            _ = try run.startProcess("listener", "/usr/sbin/ip", ["netns", "exec", outside.name, "python3", "-c", """
                import socket
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("0.0.0.0", 9999)); s.listen()
                while True:
                    c, peer = s.accept(); c.sendall((peer[0] + "\\n").encode()); c.close()
                """])
            let network = run.name("m")
            try await daemon.dockerOK(["network", "create", network])
            try await daemon.dockerOK(["run", "-d", "--name", "out", "--network", network, "busybox", "sleep", "1000"])
            var seen = ""
            for _ in 0..<30 where seen.isEmpty {
                seen = try await daemon.docker(["exec", "out", "sh", "-c", "timeout 2 nc \(outside.namespaceAddress) 9999"])
                    .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                if seen.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(seen == outside.hostAddress, "the peer should see the host's address, saw '\(seen)'")

            try await daemon.dockerOK(["network", "disconnect", network, "out"])
            try await daemon.dockerOK(["rm", "-f", "out"])
            try await daemon.dockerOK(["network", "rm", network])
            let events = try await daemon.dockerOK(["events", "--since", since, "--until", String(Int(Date().timeIntervalSince1970) + 1),
                                                    "--filter", "type=network", "--format", "{{.Action}} {{.Actor.Attributes.name}}"])
            let actions = events.split(separator: "\n").map(String.init).filter { $0.hasSuffix(" \(network)") }
            #expect(actions == ["create \(network)", "connect \(network)", "disconnect \(network)", "destroy \(network)"],
                    "\(events)")
        }
    }
}
