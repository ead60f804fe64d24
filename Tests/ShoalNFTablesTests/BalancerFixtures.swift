import ShoalNFTables

/// Balancer rulesets shared by the golden, check-mode and validation tests.
enum BalancerFixtures {
    /// Three services: three backends, one backend, none; listed out of order, with a repeated backend.
    static let web = BalancerRuleset(services: [
        BalancedService(vip: "10.0.1.10", backends: ["10.0.1.24", "10.0.1.3", "10.0.1.17", "10.0.1.3"]),
        BalancedService(vip: "10.0.1.2", backends: ["10.0.1.5"]),
        BalancedService(vip: "10.0.1.9", backends: []),
    ])

    /// Forty services of 0 to 5 backends each, for determinism and check mode.
    static let many: BalancerRuleset = {
        let services = (0..<40).map { i in
            BalancedService(
                vip: "10.0.\(i % 3).\(200 - i)",
                backends: (0..<(i % 6)).map { b in "10.0.\(i % 3).\(2 + (i * 7 + b * 13) % 150)" })
        }
        return BalancerRuleset(services: services)
    }()
}
