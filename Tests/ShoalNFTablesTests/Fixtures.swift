import ShoalNFTables

/// Rulesets shared by the golden, check-mode and namespace tests.
enum Fixtures {
    static let oneNetwork = HostRuleset(
        table: "shoal_3fa2c1d0",
        networks: [BridgeNetworkRules(bridge: "shoal0", subnet: "172.18.0.0/16")],
        publications: [
            PortPublication(proto: .tcp, hostPort: 8080, containerIP: "172.18.0.2", containerPort: 80, bridge: "shoal0")
        ]
    )

    static let twoNetworksAndInternal = HostRuleset(
        table: "shoal_3fa2c1d0",
        networks: [
            BridgeNetworkRules(bridge: "shoal0", subnet: "172.17.0.0/16"),
            BridgeNetworkRules(bridge: "br-1a2b3c4d5e6f", subnet: "172.18.0.0/16", masquerade: false, interContainer: false),
            BridgeNetworkRules(bridge: "br-internal01", subnet: "172.19.0.0/24", isInternal: true),
        ]
    )

    /// Two IPv6 networks (one with icc off), an internal IPv6 one and an IPv4-only default bridge.
    static let ipv6Networks = HostRuleset(
        table: "shoal_3fa2c1d0",
        networks: [
            BridgeNetworkRules(bridge: "shoal0", subnet: "172.17.0.0/16"),
            BridgeNetworkRules(bridge: "br-v6a", subnet: "172.20.0.0/16", subnet6: "fd00:a::/64"),
            BridgeNetworkRules(bridge: "br-v6b", subnet: "172.21.0.0/16", interContainer: false,
                               subnet6: "fd00:b::/64"),
            BridgeNetworkRules(bridge: "br-int6", subnet: "172.22.0.0/24", isInternal: true, subnet6: "fd00:c::/64"),
        ]
    )

    static let publications = HostRuleset(
        table: "shoal_3fa2c1d0",
        networks: [
            BridgeNetworkRules(bridge: "shoal0", subnet: "172.17.0.0/16"),
            BridgeNetworkRules(bridge: "br-internal01", subnet: "172.19.0.0/24", isInternal: true),
        ],
        publications: [
            PortPublication(proto: .udp, hostIP: "0.0.0.0", hostPort: 5353, containerIP: "172.17.0.3", containerPort: 53, bridge: "shoal0"),
            PortPublication(proto: .tcp, hostIP: "127.0.0.1", hostPort: 8080, containerIP: "172.17.0.2", containerPort: 80, bridge: "shoal0"),
            PortPublication(proto: .tcp, hostIP: "192.0.2.10", hostPort: 443, containerIP: "172.17.0.10", containerPort: 8443, bridge: "shoal0"),
            PortPublication(proto: .tcp, hostPort: 5353, containerIP: "172.17.0.3", containerPort: 53, bridge: "shoal0"),
            // Internal network: Docker publishes nothing there, so no rule.
            PortPublication(proto: .tcp, hostPort: 9000, containerIP: "172.19.0.2", containerPort: 9000, bridge: "br-internal01"),
        ]
    )
}

extension Fixtures {
    /// Five networks of every kind and forty publications, for determinism and check-mode tests.
    static let large: HostRuleset = {
        let networks = (0..<5).map { n in
            BridgeNetworkRules(
                bridge: n == 0 ? "shoal0" : "br-\(String(repeating: String(n), count: 12))",
                subnet: "172.\(18 + n).0.0/16",
                isInternal: n == 3,
                masquerade: n != 2,
                interContainer: n != 4
            )
        }
        var publications: [PortPublication] = []
        for i in 0..<40 {
            let network = networks[i % 5]
            publications.append(
                PortPublication(
                    proto: i % 3 == 0 ? .udp : .tcp,
                    hostIP: [nil, "0.0.0.0", "127.0.0.1", "10.0.0.\(i)", "192.0.2.1"][i % 5],
                    hostPort: UInt16(10_000 + i * 7 % 23 * 100 + i),
                    containerIP: "172.\(18 + i % 5).0.\(2 + i / 5)",
                    containerPort: UInt16(80 + i % 4),
                    bridge: network.bridge
                ))
        }
        return HostRuleset(table: "shoal_0badc0de", networks: networks, publications: publications)
    }()
}
