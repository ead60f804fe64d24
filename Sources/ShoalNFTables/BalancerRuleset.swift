/// The service VIPs of one sandbox, as one nftables table in the sandbox's own network namespace.
///
/// Why there: a container's overlay interface is a macvlan on the host's VXLAN device, so its packets never cross
/// the host namespace's hooks; the translation has to happen where the traffic is generated, in the nat output
/// hook of the container's namespace. Docker does the same job with IPVS in that namespace; this kernel has none.
///
/// What it does: a new connection (the first packet conntrack sees) to a VIP has its destination address rewritten
/// to one backend picked by `numgen random`; ports are kept and every protocol conntrack tracks is balanced (TCP,
/// UDP, SCTP, ICMP echo), as with Docker's VIP, which forwards any port. A ping to the VIP is therefore answered by
/// a task (Docker answers it from the container itself by DNAT to 127.0.0.1, even when no task runs); with no
/// backends it fails, which is the truth. Later packets follow the conntrack entry, so an established connection
/// stays with its backend when the ruleset changes; a backend left out of a new ruleset gets no new connection.
/// A VIP without backends refuses at once: TCP reset (ECONNREFUSED), ICMP host unreachable for the rest (a local
/// sender sees EPERM from the dropped packet first).
public struct BalancerRuleset: Sendable, Equatable {
    /// One table per namespace, so one name serves every sandbox.
    public static let defaultTable = "shoal_lb"

    public var table: String
    public var services: [BalancedService]

    public init(table: String = BalancerRuleset.defaultTable, services: [BalancedService]) {
        self.table = table
        self.services = services
    }

    /// A complete `nft -f` script that replaces the table atomically (declare, delete, define, in the one
    /// transaction `nft -f` makes of a file): the old VIPs work until the new ones are in, and applying it twice is
    /// applying it once. The text depends only on the VIPs and the sets of their backends.
    public func render() -> String {
        var script = NFTScript()
        script.replaceTable(table, title: "Shoal service balancer")
        script.line("table ip \(table) {")
        script.depth += 1
        let vips = renderedServices
        // The chains a verdict map jumps to come first, so every reference points back to a defined chain.
        for service in vips {
            script.chain(Self.chainName(service.vip)) { s in
                switch service.backends.count {
                case 0:
                    s.line("meta l4proto tcp reject with tcp reset")
                    s.line("reject with icmp type host-unreachable")
                case 1:
                    s.line("dnat to \(service.backends[0])")
                default:
                    let entries = service.backends.enumerated().map { "\($0.offset) : \($0.element)" }
                    s.line("dnat to numgen random mod \(service.backends.count) map { \(entries.joined(separator: ", ")) }")
                }
            }
            script.line("")
        }
        // Priority -100 is dstnat's; nft names it `dstnat` only for prerouting.
        script.chain("output") { s in
            s.line("type nat hook output priority -100; policy accept;")
            if !vips.isEmpty {
                // A nat chain only ever sees new connections, so `ct state new` filters nothing: it is there because
                // a ct expression turns conntrack on in the namespace, and without conntrack the nat hook never
                // runs the chain. A `dnat` does that too, but a table whose VIPs all lack backends has none and
                // would reject nothing (measured: connections then hang until ARP for the VIP fails).
                let entries = vips.map { "\($0.vip) : jump \(Self.chainName($0.vip))" }
                s.line("ct state new ip daddr vmap { \(entries.joined(separator: ", ")) }")
            }
        }
        script.depth -= 1
        script.line("}")
        return script.text
    }

    /// A script deleting the table if present.
    public static func removal(table: String = BalancerRuleset.defaultTable) -> String {
        var script = NFTScript()
        script.removeTable(table, title: "Shoal service balancer")
        return script.text
    }

    /// `vip_10_0_1_2`: one chain per VIP, named for it so `nft list` reads.
    static func chainName(_ vip: String) -> String {
        "vip_" + String(vip.map { $0 == "." ? "_" : $0 })
    }

    /// Services by VIP (numeric order), each VIP once with the union of its backends, sorted and deduplicated.
    var renderedServices: [BalancedService] {
        var backends: [String: Set<String>] = [:]
        for service in services {
            backends[service.vip, default: []].formUnion(service.backends)
        }
        return backends.keys.sorted(by: IPv4.precedes).map { vip in
            BalancedService(vip: vip, backends: backends[vip]!.sorted(by: IPv4.precedes))
        }
    }
}
