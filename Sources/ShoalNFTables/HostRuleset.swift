// ShoalNFTables: the daemon's whole host firewall as one value, rendered to a single `nft -f` transaction.
//
// Owns: the `ip` family table of one daemon instance (bridge isolation, published-port DNAT, masquerade),
// modelled on the iptables rules Docker 20.10's bridge driver installs, with `userland-proxy=false`
// (hairpin NAT instead of docker-proxy); and, in each sandbox's own namespace, the `ip shoal_lb` table that
// balances service VIPs (BalancerRuleset).
// Never: runs `nft`, touches other tables or the host's own chains, or depends on anything but the standard library.
// The caller applies `render()` with `nft -f -` (or a file) and `removal(table:)` on shutdown.

/// Everything one daemon instance puts in its nftables table.
///
/// Host settings the caller must make for the rules to work (they are not nftables state):
/// - `net.ipv4.ip_forward=1`;
/// - `net.ipv4.conf.<bridge>.route_localnet=1` on every bridge with publications, so that traffic from the
///   host to `127.0.0.1:<hostPort>` may leave through the bridge after the output DNAT (the kernel drops
///   127.0.0.0/8 sources on the wire otherwise); the postrouting chain then masquerades it;
/// - `hairpin on` for each bridge port (`ip link set <veth> type bridge_slave hairpin on`) when br_netfilter is
///   active, so a container can reach its own published port through a host address: br_netfilter then bridges
///   the DNATed frame back out the port it came in, which the bridge refuses unless hairpin is on.
public struct HostRuleset: Sendable, Equatable {
    /// The table's name, one per daemon instance, e.g. "shoal_3fa2c1d0" (family ip).
    public var table: String
    public var networks: [BridgeNetworkRules]
    public var publications: [PortPublication]

    public init(table: String, networks: [BridgeNetworkRules] = [], publications: [PortPublication] = []) {
        self.table = table
        self.networks = networks
        self.publications = publications
    }

    /// A complete `nft -f` script that atomically replaces the table: it declares the table (a no-op when it
    /// exists), deletes it, and defines it whole. `nft -f` applies a file as one transaction, so the old rules
    /// stay in force until the new ones are in; applying it twice is the same as applying it once.
    /// The text depends only on the set of networks and publications, not on their order.
    public func render() -> String {
        var script = NFTScript()
        let ipv6 = ipv6Networks
        script.replaceTable(table, title: "Shoal host ruleset", families: ipv6.isEmpty ? ["ip"] : ["ip", "ip6"])
        script.line("table ip \(table) {")
        renderChains(into: &script)
        script.line("}")
        if !ipv6.isEmpty {
            script.line("")
            script.line("table ip6 \(table) {")
            renderIPv6Chains(into: &script, networks: ipv6)
            script.line("}")
        }
        return script.text
    }

    /// Whether the script has an `ip6` table (some network has IPv6).
    public var hasIPv6: Bool { !ipv6Networks.isEmpty }

    /// A script deleting the tables (both families) if present (declaring each first makes the delete succeed
    /// when it is absent).
    public static func removal(table: String) -> String {
        var script = NFTScript()
        script.removeTable(table, title: "Shoal host ruleset", families: ["ip", "ip6"])
        return script.text
    }

    /// A script deleting the `ip6` table alone, when the last IPv6 network is gone.
    public static func ipv6Removal(table: String) -> String {
        var script = NFTScript()
        script.removeTable(table, title: "Shoal host ruleset", families: ["ip6"])
        return script.text
    }

    /// The IPv6 networks, sorted, each with its IPv6 subnet in place of the IPv4 one.
    var ipv6Networks: [BridgeNetworkRules] {
        sortedNetworks.compactMap { network in
            guard let subnet6 = network.subnet6 else { return nil }
            var rules = network
            rules.subnet = subnet6
            return rules
        }
    }

    /// Networks sorted by bridge, exact duplicates dropped.
    var sortedNetworks: [BridgeNetworkRules] {
        var seen: [BridgeNetworkRules] = []
        for network in networks.sorted(by: BridgeNetworkRules.renderOrder) where !seen.contains(network) {
            seen.append(network)
        }
        return seen
    }

    /// Publications that the table can express, sorted, exact duplicates dropped. Publications on an internal
    /// network are left out (Docker publishes nothing there), as are those bound to a non-IPv4 host address.
    var renderedPublications: [PortPublication] {
        let internalBridges = Set(networks.filter(\.isInternal).map(\.bridge))
        var seen: [PortPublication] = []
        for publication in publications.sorted(by: PortPublication.renderOrder)
        where !internalBridges.contains(publication.bridge)
            && (publication.boundAddress.map { IPv4.parse($0) != nil } ?? true)
            && !seen.contains(where: { $0.isSameRule(as: publication) }) {
            seen.append(publication)
        }
        return seen
    }
}
