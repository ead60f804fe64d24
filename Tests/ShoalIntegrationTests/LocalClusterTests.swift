import Foundation
import ShoalTestSupport
import Testing

/// `shoal cluster up/ls/down`: hosts in network namespaces on one bridge, each with its own daemon and host name;
/// a port published on one host is reachable from another through the host's address; `down` leaves nothing.
@Suite(.timeLimit(.minutes(3))) struct LocalClusterTests {
    @Test func upListReachAcrossHostsAndDown() async throws {
        try await TestRun.with("cluster") { run in
            let cluster = LocalClusterFixture(run, prefix: "c", subnetOctet: 240)
            let name = cluster.name, root = cluster.root
            func shoal(_ arguments: [String]) async throws -> Shell.Result { try await cluster.shoal(arguments) }

            let bad = try await shoal(["cluster", "up", "--no-swarm", "--name", name, "--nodes", "2", "--managers", "3"])
            #expect(bad.status != 0 && bad.stderr.contains("--managers must be between 1 and --nodes"), "\(bad)")

            let up = try await cluster.up(nodes: 3, managers: 1, swarm: false)
            #expect(up.status == 0, "\(up)")
            let socket = cluster.socket(1)
            #expect(up.stdout.hasSuffix("export DOCKER_HOST=unix://\(socket)\n"), "\(up.stdout)")
            let again = try await shoal(["cluster", "up", "--no-swarm", "--name", name])
            #expect(again.status != 0 && again.stderr.contains("cluster \(name) already exists"), "\(again)")
            let list = try await shoal(["cluster", "ls"])
            #expect(list.stdout.contains("\(name)\t3\t3\t\(cluster.subnet)"), "\(list)")

            func docker(_ node: Int, _ arguments: [String]) async throws -> Shell.Result { try await cluster.docker(node, arguments) }
            for node in 1...3 {
                let info = try await docker(node, ["info", "--format", "{{.Name}}"])
                #expect(info.stdout == "\(name)-n\(node)\n", "\(info)")
            }
            // An image for host 2, from the test's busybox rootfs.
            let rootfs = run.path("rootfs")
            try BusyboxRootfs.make(at: rootfs)
            try await Shell.sh("mkdir -p \(rootfs)/www && echo from-node-2 > \(rootfs)/www/index.html && tar -C \(rootfs) -cf \(run.path("bb.tar")) .")
            #expect(try await docker(2, ["import", run.path("bb.tar"), "bb"]).status == 0)
            let started = try await docker(2, ["run", "-d", "-p", "8080:80", "bb", "httpd", "-f", "-p", "80", "-h", "/www"])
            #expect(started.status == 0, "\(started)")
            let host1 = cluster.netns(1)
            var body = ""
            for _ in 0..<30 where body.isEmpty {
                let probe = try await Shell.run("/usr/bin/nsenter", ["--net=" + host1] + HTTPProbe.arguments("http://\(cluster.address(2)):8080/"))
                body = probe.status == 0 ? probe.stdout : ""
                if body.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(body == "from-node-2\n", "published port on host 2 not reachable from host 1")

            let bridge = try #require(up.stdout.split(separator: "(").dropFirst().first?.split(separator: " ").dropFirst().first
                .map { String($0.dropLast()) })
            let down = try await shoal(["cluster", "down", "--name", name])
            #expect(down.status == 0, "\(down)")
            #expect(try await Shell.run("/usr/sbin/ip", ["link", "show", bridge]).status != 0, "bridge \(bridge) left behind")
            #expect(DaemonFixture.mounts(under: [root]).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: "\(root)/run/\(name)"))
            #expect(!FileManager.default.fileExists(atPath: "\(root)/data/\(name)"))
            #expect(!(try await shoal(["cluster", "ls"]).stdout.contains(name)))
        }
    }
}
