import Foundation
import Hummingbird
import Logging
@testable import ShoalDockerAPI
import ShoalModel
import Testing

/// The stock docker CLI against the API served on a unix socket over the fake swarm backend: the CLI's output
/// depends only on the JSON, so this catches shape mistakes the route tests could share with the wire types.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: DockerCLI.path)))
struct SwarmCLITests {
    @Test func swarmCommandsPrintWhatDockerPrints() async throws {
        let swarm = FakeSwarmBackend()
        try await DockerCLI.withServer(swarm) { docker in
            let initialised = try await docker.run("swarm", "init", "--advertise-addr", "10.0.0.1")
            #expect(initialised.status == 0, "\(initialised.err)")
            #expect(initialised.out == """
                Swarm initialized: current node (manageridmanageridmanageri) is now a manager.

                To add a worker to this swarm, run the following command:

                    docker swarm join --token SWMTKN-1-abc-worker 10.0.0.1:2377

                To add a manager to this swarm, run 'docker swarm join-token manager' and follow the instructions.

                """)

            let nodes = try await docker.run("node", "ls")
            #expect(nodes.status == 0, "\(nodes.err)")
            let rows = nodes.out.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            #expect(rows == [
                "ID HOSTNAME STATUS AVAILABILITY MANAGER STATUS ENGINE VERSION",
                "manageridmanageridmanageri * alpha Ready Active Leader 20.10.99-shoal",
                "workeridworkeridworkeridw beta Down Drain 20.10.99-shoal",
            ])

            let info = try await docker.run("info")
            #expect(info.status == 0, "\(info.err)")
            for line in [" Swarm: active", "  NodeID: manageridmanageridmanageri", "  Is Manager: true",
                         "  ClusterID: clusteridclusteridcluster", "  Managers: 1", "  Nodes: 2",
                         "  Default Address Pool: 10.0.0.0/8  ", "  SubnetSize: 24", "  Data Path Port: 4789",
                         "   Task History Retention Limit: 5", "   Snapshot Interval: 10000",
                         "   Number of Old Snapshots to Retain: 0", "   Heartbeat Tick: 1", "   Election Tick: 10",
                         "   Heartbeat Period: 5 seconds", "   Expiry Duration: 3 months", "   Force Rotate: 0",
                         "  Autolock Managers: false", "  Root Rotation In Progress: false",
                         "  Node Address: 10.0.0.1", "  Manager Addresses:", "   10.0.0.1:2377"] {
                #expect(info.out.split(separator: "\n").contains(Substring(line)), "missing \(line)\n\(info.out)")
            }

            let token = try await docker.run("swarm", "join-token", "worker")
            #expect(token.out == """
                To add a worker to this swarm, run the following command:

                    docker swarm join --token SWMTKN-1-abc-worker 10.0.0.1:2377


                """)
            #expect(try await docker.run("swarm", "join-token", "-q", "manager").out == "SWMTKN-1-abc-manager\n")
            let rotated = try await docker.run("swarm", "join-token", "--rotate", "-q", "worker")
            #expect(rotated.out == "SWMTKN-1-abc-worker-rotated\n", "\(rotated.err)")

            let updated = try await docker.run("swarm", "update", "--cert-expiry", "48h", "--dispatcher-heartbeat", "7s")
            #expect(updated.out == "Swarm updated.\n", "\(updated.err)")
            let spec = try await swarm.inspectSwarm().spec
            #expect(spec.nodeCertExpiry == 48 * 3600)
            #expect(spec.heartbeatPeriod == 7)

            let drained = try await docker.run("node", "update", "--availability", "pause", "--label-add", "k=v", "beta")
            #expect(drained.out == "beta\n", "\(drained.err)")
            let nodeSpec = try await swarm.node("beta").spec
            #expect(nodeSpec.availability == .pause && nodeSpec.role == .worker && nodeSpec.labels == ["k": "v"])

            let promoted = try await docker.run("node", "promote", "beta")
            #expect(promoted.out == "Node beta promoted to a manager in the swarm.\n", "\(promoted.err)")

            let inspected = try await docker.run("node", "inspect", "self", "--format",
                                                 "{{.Description.Hostname}} {{.Spec.Role}} {{.ManagerStatus.Leader}}")
            #expect(inspected.out == "alpha manager true\n", "\(inspected.err)")

            let unlockKey = try await docker.run("swarm", "unlock-key")
            #expect(unlockKey.status != 0)
            #expect(unlockKey.err.contains("no unlock key is set"))

            let ca = try await docker.run("swarm", "ca")
            #expect(ca.out == FakeSwarmBackend.trustRoot, "\(ca.err)")

            let left = try await docker.run("swarm", "leave", "--force")
            #expect(left.out == "Node left the swarm.\n", "\(left.err)")

            let after = try await docker.run("node", "ls")
            #expect(after.status != 0)
            #expect(after.err.contains("This node is not a swarm manager."))
            let inactive = try await docker.run("info", "--format", "{{.Swarm.LocalNodeState}}")
            #expect(inactive.out == "inactive\n", "\(inactive.err)")
        }
    }
}

/// Runs `/usr/local/bin/docker` against an in-process API server.
struct DockerCLI: Sendable {
    static let path = "/usr/local/bin/docker"
    let socket: String
    let config: String

    static func withServer(_ swarm: FakeSwarmBackend, _ body: @Sendable (DockerCLI) async throws -> Void)
        async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "shoal-cli-" + UUID().uuidString.prefix(8)).path
        try FileManager.default.createDirectory(atPath: directory + "/config", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cli = DockerCLI(socket: directory + "/docker.sock", config: directory + "/config")
        let (running, started) = AsyncStream<Void>.makeStream()
        let app = DockerAPIServer.application(
            backends: UnusedBackends.backends(swarm: swarm), address: .unixDomainSocket(path: cli.socket),
            spoolDirectory: directory, logger: Logger(label: "swarm-cli-test"),
            onServerRunning: { _ in started.yield() })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // Ends the wait below if the server cannot start; its error then comes out of the group.
                defer { started.finish() }
                try await app.runService(gracefulShutdownSignals: [])
            }
            for await _ in running { break }
            do {
                try await body(cli)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }

    func run(_ arguments: String...) async throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.path)
        process.arguments = ["--host", "unix://" + socket] + arguments
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": config, "DOCKER_CONFIG": config,
                               "DOCKER_CLI_HINTS": "false"]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        // Output is small (a screenful at most): reading after exit cannot fill the pipes.
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
            }
        }
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, stdout, stderr)
    }
}
