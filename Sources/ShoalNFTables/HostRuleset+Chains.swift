// The chains of the table. Each rule's comment names the Docker 20.10 iptables rule it stands for
// (bridge driver, `userland-proxy=false`, i.e. hairpin NAT; "X" is the bridge, e.g. docker0).

extension HostRuleset {
    func renderChains(into script: inout NFTScript) {
        script.depth += 1
        let networks = sortedNetworks
        let publications = renderedPublications

        // Docker's nat DOCKER chain: one DNAT per published port. A regular chain jumped to from prerouting and
        // output, as DOCKER is from PREROUTING and OUTPUT. Defined first so the jumps below refer back to it.
        script.chain("publish") { s in
            for p in publications {
                // -t nat -A DOCKER [-d <hostIP>] -p <proto> --dport <hostPort>
                //   -j DNAT --to-destination <containerIP>:<containerPort>
                let address = p.boundAddress.map { "ip daddr \($0) " } ?? ""
                s.line("\(address)\(p.proto.rawValue) dport \(p.hostPort) dnat to \(p.containerIP):\(p.containerPort)")
            }
        }
        script.line("")

        script.chain("prerouting") { s in
            s.line("type nat hook prerouting priority dstnat; policy accept;")
            // -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
            s.line("fib daddr type local jump publish")
        }
        script.line("")

        // Locally generated traffic to a local address (127.0.0.1 included). DNAT to a container turns a
        // 127.0.0.1 source into a martian on the bridge unless the bridge has route_localnet=1.
        script.chain("output") { s in
            s.line("type nat hook output priority -100; policy accept;")
            // -t nat -A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER   (without `! -d 127.0.0.0/8`: no proxy)
            s.line("fib daddr type local jump publish")
        }
        script.line("")

        // The three rules of a bridge match disjoint packets (source 127/8, or out the bridge, or out elsewhere),
        // so their order does not matter.
        script.chain("postrouting") { s in
            s.line("type nat hook postrouting priority srcnat; policy accept;")
            for n in networks where !n.isInternal {
                let bridge = NFT.quoted(n.bridge)
                s.line("# \(n.bridge) \(n.subnet)")
                // -t nat -A POSTROUTING -o X -m addrtype --src-type LOCAL -j MASQUERADE
                // (host to 127.0.0.1:<hostPort>, DNATed in output, leaves through the bridge)
                s.line("oifname \(bridge) ip saddr 127.0.0.0/8 masquerade")
                // -t nat -A POSTROUTING -s <containerIP> -d <containerIP> -p <proto> --dport <port> -j MASQUERADE,
                // generalised to the bridge: a container reaching a published port of its own bridge through a
                // host address must see replies come back through the host, so its peer must be the gateway.
                // (iifname is not available in postrouting: "came from this bridge" is the subnet source.)
                s.line("oifname \(bridge) ip saddr \(n.subnet) ct status dnat masquerade")
                if n.masquerade {
                    // -t nat -A POSTROUTING -s <subnet> ! -o X -j MASQUERADE
                    s.line("oifname != \(bridge) ip saddr \(n.subnet) masquerade")
                }
            }
        }
        script.line("")

        script.chain("forward") { s in
            renderForward(into: &s, networks: networks)
        }
        script.depth -= 1
    }

    /// The `ip6` table: the forward chain alone, for the IPv6 networks (no NAT, no published ports over IPv6).
    func renderIPv6Chains(into script: inout NFTScript, networks: [BridgeNetworkRules]) {
        script.depth += 1
        script.chain("forward") { s in
            renderForward(into: &s, networks: networks)
        }
        script.depth -= 1
    }

    /// Filter forward with policy accept: the table only ever drops traffic to or from its own bridges, and
    /// leaves everything else to the host. Order:
    /// 1. isolation between bridges comes first, so no later accept (established, DNAT) can join two networks;
    /// 2. per bridge, replies and published (DNATed) traffic into the bridge are accepted before
    /// 3. the inter-container verdict (so a published port stays reachable from its own bridge when icc is off),
    /// 4. then anything else into the bridge is dropped (Docker's FORWARD policy DROP, scoped to the bridge),
    /// 5. and traffic out of the bridge is accepted last.
    private func renderForward(into s: inout NFTScript, networks: [BridgeNetworkRules]) {
        s.line("type filter hook forward priority filter; policy accept;")
        let bridges = networks.map(\.bridge)
        if bridges.count > 1 {
            s.line("# isolation between Shoal bridges")
        }
        for n in networks {
            let others = bridges.filter { $0 != n.bridge }
            guard !others.isEmpty else { continue }
            // -A DOCKER-ISOLATION-STAGE-1 -i X ! -o X -j DOCKER-ISOLATION-STAGE-2
            // -A DOCKER-ISOLATION-STAGE-2 -o <other bridge> -j DROP
            s.line("iifname \(NFT.quoted(n.bridge)) oifname \(NFT.quotedSet(others)) drop")
        }
        for n in networks {
            let bridge = NFT.quoted(n.bridge)
            let icc = n.interContainer ? "accept" : "drop"
            if n.isInternal {
                s.line("# \(n.bridge) \(n.subnet) (internal)")
                // -A FORWARD -i X -o X -j ACCEPT|DROP
                s.line("iifname \(bridge) oifname \(bridge) \(icc)")
                // -A DOCKER-ISOLATION-STAGE-1 ! -d <subnet> -i X -j DROP
                s.line("iifname \(bridge) drop")
                // -A DOCKER-ISOLATION-STAGE-1 ! -s <subnet> -o X -j DROP
                s.line("oifname \(bridge) drop")
                continue
            }
            s.line("# \(n.bridge) \(n.subnet)")
            // -A FORWARD -o X -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
            s.line("oifname \(bridge) ct state established,related accept")
            // -A FORWARD -o X -j DOCKER; -A DOCKER -d <containerIP> ! -i X -o X -p <proto> --dport <port> -j ACCEPT
            s.line("oifname \(bridge) ct status dnat accept")
            // -A FORWARD -i X -o X -j ACCEPT|DROP
            s.line("iifname \(bridge) oifname \(bridge) \(icc)")
            // -P FORWARD DROP, for traffic into this bridge only
            s.line("oifname \(bridge) drop")
            // -A FORWARD -i X ! -o X -j ACCEPT
            s.line("iifname \(bridge) accept")
        }
    }
}
