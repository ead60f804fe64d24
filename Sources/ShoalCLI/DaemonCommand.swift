import ArgumentParser
import Foundation
import Logging
import ShoalDaemon

@available(macOS 10.15, *)
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the Shoal daemon (Docker Engine API v1.41).")

    @Option(name: [.customShort("H"), .long],
            help: "Where to serve the API: unix:///path or tcp://address[:port]. Repeatable.")
    var host: [String] = []

    @Flag(name: .long, help: "Serve TCP hosts with TLS (implied by --tlsverify).")
    var tls = false

    @Flag(name: .long, help: "Serve TCP hosts with TLS and accept only clients with a certificate from --tlscacert.")
    var tlsverify = false

    @Option(name: .long, help: "Trust only client certificates issued by this CA (PEM).")
    var tlscacert: String?

    @Option(name: .long, help: "The daemon's TLS certificate (PEM).")
    var tlscert: String?

    @Option(name: .long, help: "The daemon's TLS key (PEM).")
    var tlskey: String?

    @Flag(name: .customLong("open-tcp-api"),
          help: "Serve TCP hosts without verifying clients (anyone who reaches the port controls this host).")
    var openTCPAPI = false

    @Option(name: .long, help: "Persistent state: records, images, volumes, logs.")
    var dataRoot = "/var/lib/shoal"

    @Option(name: .long, help: "Runtime state on tmpfs: runc and conmon state, sockets.")
    var execRoot = "/run/shoal"

    @Option(name: .long, help: "Upstream DNS server for containers. Repeatable.")
    var dns: [String] = []

    @Option(name: [.customShort("b"), .long], help: "Name of the default bridge (created if missing).")
    var bridge: String = "shoal0"

    @Option(name: .long, help: "Default bridge address and prefix, e.g. 172.17.0.1/16.")
    var bip: String?

    @Option(name: .customLong("default-address-pool"), help: "Pool for network subnets: base=CIDR,size=N. Repeatable.")
    var defaultAddressPools: [String] = []

    @Option(name: .customLong("insecure-registry"),
            help: "A registry spoken to over plain HTTP: host[:port] or a CIDR. Repeatable.")
    var insecureRegistries: [String] = []

    @Option(name: .customLong("cluster-endpoint-port"),
            help: "TCP port of the cluster endpoint a manager serves on its advertise address with mutual TLS (0: none).")
    var clusterEndpointPort = 2376

    @Option(name: .customLong("cluster-strategy"),
            help: "How the cluster endpoint places containers: spread or binpack (classic Swarm's --strategy).")
    var clusterStrategy = "spread"

    @Option(name: .customLong("node-engine-port"),
            help: "TCP port on which a swarm node serves its engine to the swarm's managers with mutual TLS.")
    var nodeEnginePort = 2381

    @Option(name: .customLong("userns-remap"),
            help: "Run containers in a user namespace mapped to the subordinate ids of: default (the dockremap user) or USER[:GROUP].")
    var usernsRemap: String?

    @Option(name: .long, help: "Path of the init binary for --init.")
    var initPath = "/usr/bin/tini-static"

    @Option(name: [.customShort("l"), .long], help: "Log level: trace, debug, info, warning, error.")
    var logLevel = "info"

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "shoal.daemon")
        var configuration = DaemonConfiguration(
            hosts: host.isEmpty ? ["unix://\(execRoot)/shoal.sock"] : host, dataRoot: dataRoot, execRoot: execRoot,
            dns: dns, initPath: initPath, logLevel: logLevel)
        configuration.bridgeName = bridge
        configuration.bridgeAddress = bip
        configuration.addressPools = defaultAddressPools
        configuration.insecureRegistries = insecureRegistries
        configuration.openTCPAPI = openTCPAPI
        configuration.usernsRemap = usernsRemap
        guard (0...65535).contains(clusterEndpointPort) else {
            throw ValidationError("invalid --cluster-endpoint-port \(clusterEndpointPort)")
        }
        configuration.clusterEndpointPort = clusterEndpointPort
        guard DaemonConfiguration.clusterStrategies.contains(clusterStrategy) else {
            throw ValidationError("invalid --cluster-strategy \(clusterStrategy): expected "
                + DaemonConfiguration.clusterStrategies.joined(separator: " or "))
        }
        configuration.clusterStrategy = clusterStrategy
        guard (1...65535).contains(nodeEnginePort) else { throw ValidationError("invalid --node-engine-port \(nodeEnginePort)") }
        configuration.nodeEnginePort = nodeEnginePort
        if tls || tlsverify {
            // dockerd's defaults: the files of ~/.docker.
            let home = (ProcessInfo.processInfo.environment["HOME"] ?? "/root") + "/.docker/"
            configuration.tls = APITLSConfiguration(
                verifyClients: tlsverify, caFile: tlscacert ?? home + "ca.pem",
                certificateFile: tlscert ?? home + "cert.pem", keyFile: tlskey ?? home + "key.pem")
        }
        try await Daemon(configuration: configuration).run(logger: logger)
    }
}
