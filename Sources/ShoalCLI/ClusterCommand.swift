import ArgumentParser
import Foundation
import ShoalCore
import ShoalDaemon
import ShoalLocalCluster

/// `shoal cluster up|ls|down`: local multi-host clusters, each host a network namespace with its own daemon.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Local multi-host clusters: hosts in network namespaces on this machine.",
        subcommands: [ClusterUpCommand.self, ClusterListCommand.self, ClusterDownCommand.self,
                      ClusterCredentialsCommand.self])
}

extension LocalCluster {
    /// The default layout, or `$SHOAL_CLUSTER_ROOT/{run,data}` (tests keep their clusters apart that way), with the
    /// runtime state in `$SHOAL_CLUSTER_RUN_ROOT` when that is set (benchmarks keep it on a tmpfs, as /run is).
    static var fromEnvironment: LocalCluster {
        let environment = ProcessInfo.processInfo.environment
        guard let root = environment["SHOAL_CLUSTER_ROOT"], !root.isEmpty else {
            return LocalCluster()
        }
        let run = environment["SHOAL_CLUSTER_RUN_ROOT"].flatMap { $0.isEmpty ? nil : $0 } ?? root + "/run"
        return LocalCluster(layout: LocalClusterLayout(runRoot: run, dataRoot: root + "/data"))
    }
}

struct ClusterUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "up", abstract: "Create a cluster and start its hosts.")

    @Option(help: "Number of hosts.") var nodes = 3
    @Option(help: "How many of them are managers.") var managers = 1
    @Option(help: "Cluster name.") var name = "shoal"
    @Option(help: "The hosts' subnet (default: a free /24 of 10.199.0.0/16).") var subnet: String?
    @Option(help: "Upstream DNS server for the hosts' containers. Repeatable.") var dns: [String] = []
    @Option(name: .customLong("dispatcher-heartbeat"), help: "The swarm's heartbeat period, e.g. 1s (default 5s).")
    var heartbeat: String?
    @Flag(name: .customLong("no-swarm"), help: "Start the hosts and their daemons without forming a swarm.")
    var noSwarm = false
    @Option(name: .customLong("insecure-registry"),
            help: "A registry the hosts speak plain HTTP to: host[:port] or a CIDR. Repeatable.")
    var insecureRegistries: [String] = []
    @Option(name: .customLong("cluster-strategy"),
            help: "How the cluster endpoint places containers: spread (default) or binpack.")
    var clusterStrategy: String?

    func run() async throws {
        let binary = Shoal.executable
        let period = try heartbeat.map { text -> Double in
            guard let seconds = GoDuration.seconds(text), seconds > 0 else {
                throw ValidationError("invalid --dispatcher-heartbeat \(text): expected a duration such as 1s or 500ms")
            }
            return seconds
        }
        let started = Date()
        var options = LocalClusterOptions(name: name, nodes: nodes, managers: managers, subnet: subnet,
                                          shoalBinary: binary, dns: dns, swarm: !noSwarm, heartbeatSeconds: period)
        options.insecureRegistries = insecureRegistries
        if let clusterStrategy, !DaemonConfiguration.clusterStrategies.contains(clusterStrategy) {
            throw ValidationError("invalid --cluster-strategy \(clusterStrategy): expected "
                + DaemonConfiguration.clusterStrategies.joined(separator: " or "))
        }
        options.clusterStrategy = clusterStrategy
        let state = try await LocalCluster.fromEnvironment.up(options)
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        let what = state.swarm == true ? "a swarm of \(state.nodes.count) hosts, all Ready" : "\(state.nodes.count) hosts"
        print("Cluster \(state.name): \(what), on \(state.subnet) (bridge \(state.bridge)), up in \(seconds) s")
        for node in state.nodes {
            print("  \(node.hostname)\t\(node.address)\t\(node.role)\tunix://\(node.socket)")
        }
        print("\nexport DOCKER_HOST=\(state.dockerHost)")
    }
}

struct ClusterListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List local clusters.")

    func run() async throws {
        print("NAME\tHOSTS\tRUNNING\tSUBNET\tDOCKER_HOST")
        for state in LocalCluster.fromEnvironment.list() {
            let running = state.nodes.filter { kill($0.pid, 0) == 0 }.count
            print("\(state.name)\t\(state.nodes.count)\t\(running)\t\(state.subnet)\t\(state.dockerHost)")
        }
    }
}

struct ClusterDownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Stop and remove a cluster.")

    @Option(help: "Cluster name.") var name = "shoal"

    func run() async throws {
        try await LocalCluster.fromEnvironment.down(name: name)
        print("Cluster \(name) removed")
    }
}

struct ClusterCredentialsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credentials",
        abstract: "Write a credentials bundle for the cluster endpoint: docker.env, ca.pem, cert.pem, key.pem.")

    @Option(help: "Cluster name.") var name = "shoal"
    @Option(help: "Directory of the bundle (default: credentials/USER in the cluster's data directory).") var out: String?
    @Option(help: "The user the certificate names.") var user = "admin"
    @Option(help: "Revoke the bundle in this directory (or this cert.pem) instead of making one.") var revoke: String?

    func run() async throws {
        if let revoke {
            let user = try await LocalCluster.fromEnvironment.revokeCredentials(name: name, bundle: revoke)
            print("Revoked the credentials of \(user)")
            return
        }
        let environment = try await LocalCluster.fromEnvironment.credentials(name: name, directory: out, user: user)
        print("source \(environment)")
    }
}
