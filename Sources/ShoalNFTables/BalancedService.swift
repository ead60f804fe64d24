/// One service's virtual IP on one network and the addresses of its running tasks there: new connections to the
/// VIP are spread over the backends (what Docker does with IPVS, which this kernel lacks; see BalancerRuleset).
public struct BalancedService: Sendable, Equatable {
    /// The VIP (IPv4), e.g. "10.0.1.2". It must be routable in the namespace, i.e. inside the network's subnet as
    /// the allocator hands it out: the kernel picks the route and source address for the VIP before the output
    /// hook rewrites the destination.
    public var vip: String
    /// The tasks' addresses on the same network. Order does not matter and duplicates count once. Empty: every
    /// new connection to the VIP is refused at once (TCP reset, ICMP host unreachable) instead of hanging.
    public var backends: [String]

    public init(vip: String, backends: [String]) {
        self.vip = vip
        self.backends = backends
    }
}
