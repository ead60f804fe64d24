import Foundation
import ShoalTestSupport
import Testing

/// `--link` with the stock CLI: legacy links on the default bridge (hosts entries, Docker's variables, inspect's
/// form, the refusals) and endpoint links on user networks (an alias only the linking container resolves).
@Suite(.timeLimit(.minutes(3))) struct ContainerLinkTests {
    @Test func legacyLinksGiveHostsEntriesAndVariables() async throws {
        try await TestRun.with("lnk") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            try await daemon.dockerOK(["run", "-d", "--name", "target", "-h", "tgt", "-e", "SECRET=s3",
                                       "--expose", "80", "--expose", "53/udp", "busybox", "sleep", "1000"])
            let ip = try await daemon.dockerOK(["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "target"])
            #expect(!ip.isEmpty)
            let out = try await daemon.dockerOK(["run", "--name", "me", "--link", "target:db", "busybox", "sh", "-c",
                                                 "cat /etc/hosts; env"])
            let lines = Set(out.split(separator: "\n").map(String.init))
            #expect(lines.contains("\(ip)\tdb tgt target"), "\(out)")
            // The lowest port is the link's main one, as in Docker.
            for expected in ["DB_PORT=udp://\(ip):53", "DB_PORT_80_TCP=tcp://\(ip):80", "DB_PORT_80_TCP_ADDR=\(ip)",
                             "DB_PORT_80_TCP_PORT=80", "DB_PORT_80_TCP_PROTO=tcp", "DB_PORT_53_UDP=udp://\(ip):53",
                             "DB_NAME=/me/db", "DB_ENV_SECRET=s3"] {
                #expect(lines.contains(expected), "\(expected) in \(out)")
            }
            #expect(!out.contains("DB_ENV_PATH="), "PATH is not passed on: \(out)")
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{json .HostConfig.Links}}", "me"])
                == #"["/target:/me/db"]"#)
            // Without an alias the name is the alias, and the hosts line names it once.
            let plain = try await daemon.dockerOK(["run", "--rm", "--link", "target", "busybox", "grep", "tgt",
                                                   "/etc/hosts"])
            #expect(plain == "\(ip)\ttarget tgt", "\(plain)")

            // A missing target is refused at create (400, as Docker), and nothing is left behind.
            let before = try await daemon.dockerOK(["ps", "-aq"])
            let missing = try await daemon.docker(["run", "--link", "nosuch:x", "busybox", "true"])
            #expect(missing.status != 0)
            #expect(missing.stderr.contains("could not get container for nosuch: No such container: nosuch"),
                    "\(missing.stderr)")
            let raw = try await daemon.rawRequest("POST", "/containers/create",
                                                  body: #"{"Image":"busybox","HostConfig":{"Links":["nosuch:x"]}}"#,
                                                  contentType: "application/json")
            #expect(raw.status == 400, "\(raw.body)")
            #expect(try await daemon.dockerOK(["ps", "-aq"]) == before)
            let host = try await daemon.docker(["create", "--network", "host", "--link", "target:t", "busybox"])
            #expect(host.stderr.contains("host type networking can't be used with links"), "\(host.stderr)")

            // A target that does not run fails the start with Docker's words.
            try await daemon.dockerOK(["stop", "-t", "0", "target"])
            let stopped = try await daemon.docker(["start", "me"])
            #expect(stopped.status != 0)
            #expect(stopped.stderr.contains("Cannot link to a non running container: /target AS /me/db"),
                    "\(stopped.stderr)")
        }
    }

    @Test func endpointLinksResolveForTheLinkingContainerOnly() async throws {
        try await TestRun.with("elnk") { run in
            let setup = try await NetworkDNSTests.setUp(run)
            let (daemon, network) = (setup.daemon, setup.network)
            try await daemon.dockerOK(["run", "-d", "--name", "srv", "--network", network, "busybox", "sleep", "1000"])
            let endpoint = "(index .NetworkSettings.Networks \"\(network)\")"
            let ip = try await daemon.dockerOK(["inspect", "-f", "{{\(endpoint).IPAddress}}", "srv"])
            try await daemon.dockerOK(["run", "-d", "--name", "cli", "--network", network, "--link", "srv:backend",
                                       "busybox", "sleep", "1000"])
            let answer = try await daemon.docker(["exec", "cli", "nslookup", "backend"])
            #expect(NetworkDNSTests.addresses(in: answer.stdout) == [ip], "\(answer.stdout) \(answer.stderr)")
            let links = "{{json \(endpoint).Links}}"
            #expect(try await daemon.dockerOK(["inspect", "-f", links, "cli"]) == #"["srv:backend"]"#)
            // Docker keeps HostConfig.Links for the default bridge only.
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{json .HostConfig.Links}}", "cli"]) == "null")
            // Another container on the network does not know the alias.
            #expect(try await NetworkDNSTests.lookup(daemon, "backend", on: network) == nil)

            // `network connect --link` gives the alias on connect.
            try await daemon.dockerOK(["run", "-d", "--name", "late", "busybox", "sleep", "1000"])
            try await daemon.dockerOK(["network", "connect", "--link", "srv:db2", network, "late"])
            let late = try await daemon.docker(["exec", "late", "nslookup", "db2", "127.0.0.11"])
            #expect(NetworkDNSTests.addresses(in: late.stdout) == [ip], "\(late.stdout) \(late.stderr)")
            #expect(try await daemon.dockerOK(["inspect", "-f", links, "late"]) == #"["srv:db2"]"#)
        }
    }
}
