/// How a service is reached (`--endpoint-mode`, `--publish`): Docker's `EndpointSpec`.
public struct EndpointSpec: Codable, Sendable, Equatable {
    /// `vip`: one virtual IP balanced over the tasks; `dnsrr`: the service name resolves to every task's address.
    public enum Mode: String, Codable, Sendable, CaseIterable { case vip, dnsrr }

    public var mode: Mode
    public var ports: [PortConfig]

    public init(mode: Mode = .vip, ports: [PortConfig] = []) {
        self.mode = mode
        self.ports = ports
    }

    /// The ports published in host mode with a fixed number: each takes that port on the task's node, so two such
    /// tasks cannot share a node (the scheduler's host-port filter).
    public var fixedHostPorts: [PortConfig] {
        ports.filter { $0.publishMode == .host && $0.publishedPort != 0 }
    }
}

/// One `--publish` entry (Docker's `PortConfig`).
public struct PortConfig: Codable, Sendable, Equatable, Hashable {
    public enum PortProtocol: String, Codable, Sendable, CaseIterable { case tcp, udp, sctp }
    /// `ingress`: published on every node through the routing mesh; `host`: on the task's node only.
    public enum PublishMode: String, Codable, Sendable, CaseIterable { case ingress, host }

    public var name: String
    public var `protocol`: PortProtocol
    public var targetPort: UInt32
    /// 0: the allocator picks one (ingress) or the engine does (host).
    public var publishedPort: UInt32
    public var publishMode: PublishMode

    public init(name: String = "", protocol: PortProtocol = .tcp, targetPort: UInt32, publishedPort: UInt32 = 0,
                publishMode: PublishMode = .ingress) {
        self.name = name
        self.protocol = `protocol`
        self.targetPort = targetPort
        self.publishedPort = publishedPort
        self.publishMode = publishMode
    }
}

/// What the allocator resolved for a service's endpoint (Docker's `Endpoint`): the spec it saw, the ports with
/// their published numbers filled in, and one virtual IP per network (`CIDR` form, e.g. `10.0.0.2/24`).
public struct ServiceEndpoint: Codable, Sendable, Equatable {
    public struct VirtualIP: Codable, Sendable, Equatable {
        public var networkID: String
        public var address: String

        public init(networkID: String, address: String) {
            self.networkID = networkID
            self.address = address
        }
    }

    public var spec: EndpointSpec
    public var ports: [PortConfig]
    public var virtualIPs: [VirtualIP]

    public init(spec: EndpointSpec = EndpointSpec(), ports: [PortConfig] = [], virtualIPs: [VirtualIP] = []) {
        self.spec = spec
        self.ports = ports
        self.virtualIPs = virtualIPs
    }
}
