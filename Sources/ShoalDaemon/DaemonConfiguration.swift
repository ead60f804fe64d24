/// ShoalDaemon: the composition root. It reads the configuration, builds the engine, the image store and the
/// runtime, adapts them to the Docker API's backends, and runs every long-lived part in one ServiceGroup.
/// It holds no domain logic of its own.

import ShoalScheduler

/// How a daemon instance is set up (`shoal daemon` flags). Two daemons on one host need distinct roots and
/// sockets; everything a daemon creates is under these paths.
public struct DaemonConfiguration: Sendable {
    /// `unix:///path` (or a bare path) and `tcp://ADDRESS[:PORT]` (dockerd's `-H`).
    public var hosts: [String]
    /// TLS for the TCP hosts (dockerd's `--tls`, `--tlsverify` and their files); nil: none.
    public var tls: APITLSConfiguration? = nil
    /// The operator's explicit consent to serve TCP hosts without mutual TLS (anyone who reaches the port then
    /// controls the host). Without it such a host is refused at start.
    public var openTCPAPI: Bool = false
    public var dataRoot: String
    public var execRoot: String
    /// Upstream DNS servers for containers (dockerd's `--dns`).
    public var dns: [String]
    public var initPath: String
    public var logLevel: String
    /// The default bridge's Linux name (dockerd's is docker0).
    public var bridgeName: String = "shoal0"
    /// The default bridge's gateway address and prefix (dockerd's `--bip`); chosen from the pools when nil.
    public var bridgeAddress: String? = nil
    /// Pools for network subnets (dockerd's `--default-address-pool base=…,size=…`); Docker's when empty.
    public var addressPools: [String] = []
    /// Registries spoken to over plain HTTP besides loopback ones (dockerd's `--insecure-registry`): `host[:port]`
    /// or a CIDR.
    public var insecureRegistries: [String] = []
    /// The TCP port of the cluster endpoint a manager serves on its advertise address (mutual TLS, credentials
    /// bundles only); 0: none.
    public var clusterEndpointPort: Int = ClusterEndpoint.defaultPort
    /// How the cluster endpoint places a `docker run` (classic Swarm's `--strategy`): `spread` (the node with the
    /// least reserved, then the fewest containers) or `binpack` (the fullest node that has room).
    public var clusterStrategy: String = "spread"
    public static var clusterStrategies: [String] { ClassicScheduler.Strategy.allCases.map(\.rawValue) }
    /// The TCP port of the node engine channel every swarm node serves its engine on, to its managers only.
    public var nodeEnginePort: Int = NodeEngineChannel.defaultPort
    /// dockerd's `--userns-remap`: `default` (the `dockremap` user, created if missing) or `USER[:GROUP]` whose
    /// /etc/subuid and /etc/subgid ranges containers are mapped to; nil: no user namespaces.
    public var usernsRemap: String? = nil

    public init(hosts: [String] = ["unix:///run/shoal/shoal.sock"], dataRoot: String = "/var/lib/shoal",
                execRoot: String = "/run/shoal", dns: [String] = [], initPath: String = "/usr/bin/tini-static",
                logLevel: String = "info") {
        self.hosts = hosts
        self.dataRoot = dataRoot
        self.execRoot = execRoot
        self.dns = dns
        self.initPath = initPath
        self.logLevel = logLevel
    }
}

/// TLS on the API's TCP hosts. With `verifyClients` (`--tlsverify`) only clients presenting a certificate issued
/// by `caFile` get through the handshake; without it any client may connect (server authentication only).
public struct APITLSConfiguration: Sendable, Equatable {
    public var verifyClients: Bool
    public var caFile: String
    public var certificateFile: String
    public var keyFile: String

    public init(verifyClients: Bool, caFile: String, certificateFile: String, keyFile: String) {
        self.verifyClients = verifyClients
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}
