/// The filtering and NAT policy of one bridge network, as Docker 20.10's bridge driver configures it.
public struct BridgeNetworkRules: Sendable, Equatable {
    /// The Linux bridge device, e.g. "shoal0" or "br-1a2b3c4d5e6f".
    public var bridge: String
    /// The network's IPv4 subnet in CIDR form, e.g. "172.18.0.0/16".
    public var subnet: String
    /// `--internal`: nothing enters or leaves the bridge except between its own ports.
    /// Publications on an internal network are not rendered (Docker publishes no ports there either).
    public var isInternal: Bool
    /// Outbound NAT, `com.docker.network.bridge.enable_ip_masquerade` (default true).
    public var masquerade: Bool
    /// `com.docker.network.bridge.enable_icc` (default true). `false` only takes effect when bridged frames pass
    /// through the IPv4 hooks, i.e. with br_netfilter and `net.bridge.bridge-nf-call-iptables=1` in the namespace.
    public var interContainer: Bool
    /// An IPv6 network's subnet ("fd00:1::/64"): its bridge gets the same forwarding policy in the `ip6` table
    /// (isolation from the other IPv6 bridges, inter-container verdict, internal); IPv6 is routed, never NATed, as
    /// Docker 20.10 leaves it.
    public var subnet6: String?

    public init(
        bridge: String,
        subnet: String,
        isInternal: Bool = false,
        masquerade: Bool = true,
        interContainer: Bool = true,
        subnet6: String? = nil
    ) {
        self.subnet6 = subnet6
        self.bridge = bridge
        self.subnet = subnet
        self.isInternal = isInternal
        self.masquerade = masquerade
        self.interContainer = interContainer
    }
}
