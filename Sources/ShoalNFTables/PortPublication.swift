/// One published port (`-p [hostIP:]hostPort:containerPort[/proto]`), DNATed from the host to a container.
public struct PortPublication: Sendable, Equatable {
    public enum Proto: String, Sendable, CaseIterable {
        case tcp, udp
    }

    public var proto: Proto
    /// nil or "0.0.0.0": every local address of the host; otherwise only that IPv4 address (may be 127.0.0.1).
    /// A non-IPv4 address (e.g. "::") cannot be expressed in an `ip` family table and is not rendered.
    public var hostIP: String?
    public var hostPort: UInt16
    public var containerIP: String
    public var containerPort: UInt16
    /// The bridge the container is attached to; it should be one of the ruleset's networks.
    public var bridge: String

    public init(
        proto: Proto = .tcp,
        hostIP: String? = nil,
        hostPort: UInt16,
        containerIP: String,
        containerPort: UInt16,
        bridge: String
    ) {
        self.proto = proto
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerIP = containerIP
        self.containerPort = containerPort
        self.bridge = bridge
    }

    /// True when the publication listens on every local address of the host.
    public var isOnAllAddresses: Bool {
        hostIP == nil || hostIP == "" || hostIP == "0.0.0.0"
    }

    /// The host address the rule matches, or nil for every local address.
    var boundAddress: String? {
        isOnAllAddresses ? nil : hostIP
    }
}
