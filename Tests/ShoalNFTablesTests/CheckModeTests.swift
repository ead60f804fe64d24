import Foundation
import ShoalNFTables
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `nft -c -f` (parse and validate against the kernel, commit nothing) accepts every rendered script.
/// Run inside a throwaway namespace so not even a check reaches the host's own ruleset.
@Suite("nft check mode", .enabled(if: getuid() == 0, "needs root for ip netns and nft"))
struct CheckModeTests {
    static let scripts: [(String, String)] = [
        ("empty", HostRuleset(table: "t").render()),
        ("one network", Fixtures.oneNetwork.render()),
        ("two networks and internal", Fixtures.twoNetworksAndInternal.render()),
        ("publications", Fixtures.publications.render()),
        ("IPv6 networks", Fixtures.ipv6Networks.render()),
        ("IPv6 table removal", HostRuleset.ipv6Removal(table: "shoal_3fa2c1d0")),
        ("large", Fixtures.large.render()),
        ("removal", HostRuleset.removal(table: "shoal_3fa2c1d0")),
        ("balancer", BalancerFixtures.web.render()),
        ("balancer, many services", BalancerFixtures.many.render()),
        ("balancer, no services", BalancerRuleset(services: []).render()),
        ("balancer removal", BalancerRuleset.removal()),
        ("routing mesh", IngressRenderTests.mesh.render()),
        ("routing mesh, no ports", IngressRuleset(rules: []).render()),
        ("routing mesh return path", IngressRenderTests.meshReturn.render()),
        ("routing mesh removal", IngressRuleset.removal()),
    ]

    @Test("every rendered script passes nft -c")
    func renderedScriptsPassCheck() async throws {
        try await NetnsLab.with { lab in
            try await lab.addNamespace("host")
            // The return path's netdev chains hook a device (eth0) that must exist.
            _ = try await lab.exec("host", ["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p"])
            for (name, script) in Self.scripts {
                let result = try await lab.nft(script, check: true)
                #expect(result.succeeded, "\(name): \(result.stderr)")
            }
            // The check is not vacuous: a model nft cannot express is rejected.
            var broken = Fixtures.oneNetwork
            broken.networks[0].subnet = "172.18.0.0/33"
            #expect(try await !lab.nft(broken.render(), check: true).succeeded)
            // And check mode really committed nothing.
            #expect(try await lab.exec("host", ["nft", "list", "tables"]).stdout == "")
            #expect(try await lab.exec("host", ["ip", "link", "show", "eth0"]).stdout.contains("eth0"))
        }
    }
}
