import Foundation
import ShoalTestSupport
import Testing

/// A service's image reaches the hosts that run its tasks the way Docker's agents get it: each host pulls it from
/// the registry when it lacks it, with the credentials the client gave `--with-registry-auth` (carried sealed by
/// the managers, handed only to the hosts whose tasks need them). The registry is a real one with basic auth on
/// the cluster's own bridge, which the hosts reach as an `--insecure-registry`.
@Suite(.timeLimit(.minutes(5))) struct ServiceImagePullTests {
    @Test func tasksPullTheirImageWithTheServicesCredentials() async throws {
        try await TestRun.with("svcpull") { run in
            let cluster = LocalClusterFixture(run, prefix: "p", subnetOctet: 79, shoalTimeout: 150, dockerTimeout: 60)
            let up = try await cluster.up(nodes: 3, managers: 1, swarm: true,
                                          extra: ["--dns", "127.0.0.1:1053", "--insecure-registry", cluster.subnet])
            try #require(up.status == 0, "\(up)")
            // The registry listens on the host's end of the cluster's bridge, nowhere else.
            let registry = try await LocalRegistry.start(in: run, host: cluster.address(0), user: "u", password: "pw")
            func docker(_ node: Int, _ arguments: [String]) async throws -> Shell.Result {
                try await cluster.docker(node, arguments)
            }
            let info = try await docker(2, ["info", "--format", "{{json .RegistryConfig.InsecureRegistryCIDRs}}"])
            #expect(info.stdout == "[\"127.0.0.0/8\",\"\(cluster.subnet)\"]\n", "\(info)")
            let rootfs = run.path("rootfs")
            try BusyboxRootfs.make(at: rootfs)
            try await Shell.sh("tar -C \(rootfs) -cf \(run.path("bb.tar")) .")
            let image = "\(registry.domain)/team/app:1"
            try #require(try await docker(1, ["import", run.path("bb.tar"), image]).status == 0)
            let login = try await cluster.docker(1, ["login", "-u", "u", "--password-stdin", registry.domain], stdin: "pw\n")
            try #require(login.status == 0, "\(login)\n\(cluster.log(1))")
            let pushed = try await docker(1, ["push", image])
            try #require(pushed.status == 0, "\(pushed)\n\(cluster.log(1))")

            // Without the credentials the hosts are refused by the registry: the task is rejected with the pull's
            // error, and nothing runs.
            let denied = try await docker(1, ["service", "create", "-d", "--name", "denied", "--constraint",
                                              "node.hostname==\(cluster.host(2))", image, "sleep", "1000"])
            try #require(denied.status == 0, "\(denied)")
            var states: [String] = []
            let rejected = try await cluster.eventually(30) {
                states = try await docker(1, ["service", "ps", "--no-trunc", "--format", "{{.CurrentState}}|{{.Error}}",
                                              "denied"]).stdout.split(separator: "\n").map(String.init)
                return states.contains { $0.hasPrefix("Rejected ") && $0.count > "Rejected |".count + 12 }
            }
            #expect(rejected, "\(states)\n\(cluster.log(2))")
            #expect(try await docker(2, ["ps", "-q", "--filter", "label=com.docker.swarm.service.name=denied"])
                .stdout.isEmpty)
            #expect(try await docker(1, ["service", "rm", "denied"]).status == 0)

            // With them (the CLI sends its login for the registry), the two other hosts pull and run the tasks.
            let pulled = try await docker(1, ["service", "create", "--with-registry-auth", "--name", "pulled",
                                              "--replicas", "2", "--replicas-max-per-node", "1", "--constraint",
                                              "node.hostname!=\(cluster.host(1))", "--stop-grace-period", "1s",
                                              image, "sleep", "1000"])
            try #require(pulled.status == 0, "\(pulled)\n\(cluster.log(1))\n\(cluster.log(2))")
            let running = try await docker(1, ["service", "ps", "--filter", "desired-state=running", "--format",
                                               "{{.Node}} {{.CurrentState}}", "pulled"])
            let lines = running.stdout.split(separator: "\n")
            #expect(lines.count == 2 && lines.allSatisfy { $0.contains(" Running ") }, "\(running)")
            for node in [2, 3] {
                let images = try await docker(node, ["images", "--format", "{{.Repository}}:{{.Tag}}"])
                #expect(images.stdout.contains("\(registry.domain)/team/app:1"), "\(node): \(images)")
            }
            // The credentials are the hosts' to use, never shown back.
            let inspected = try await docker(1, ["service", "inspect", "pulled"])
            #expect(!inspected.stdout.contains("PullOptions") && !inspected.stdout.lowercased().contains("registryauth"),
                    "\(inspected)")
            #expect(try await docker(1, ["service", "rm", "pulled"]).status == 0)
        }
    }
}
