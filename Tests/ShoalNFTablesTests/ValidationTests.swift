import ShoalNFTables
import Testing

@Suite("Model validation")
struct ValidationTests {
    @Test func fixturesAreValid() {
        #expect(Fixtures.oneNetwork.validationIssues() == [])
        #expect(Fixtures.twoNetworksAndInternal.validationIssues() == [])
        #expect(Fixtures.publications.validationIssues() == [])
        #expect(Fixtures.large.validationIssues() == [])
    }

    @Test func badNamesAndAddresses() {
        let ruleset = HostRuleset(
            table: "1table",
            networks: [
                BridgeNetworkRules(bridge: "a-very-long-bridge-name", subnet: "172.18.0.0/16"),
                BridgeNetworkRules(bridge: "br\"x", subnet: "172.19.0.0"),
            ],
            publications: [
                PortPublication(hostIP: "::1", hostPort: 80, containerIP: "172.18.0.300", containerPort: 80, bridge: "nowhere")
            ]
        )
        let issues = ruleset.validationIssues()
        #expect(issues.count == 7, "\(issues)")
        #expect(issues.contains { $0.contains("table name") })
        #expect(issues.contains { $0.contains("a-very-long-bridge-name") && $0.contains("interface name") })
        #expect(issues.contains { $0.contains("172.19.0.0") })
        #expect(issues.contains { $0.contains("::1") })
        #expect(issues.contains { $0.contains("172.18.0.300") })
        #expect(issues.contains { $0.contains("nowhere") })
    }

    @Test("a wildcard binding collides with any binding of the same port and protocol")
    func collisions() {
        let network = BridgeNetworkRules(bridge: "shoal0", subnet: "172.18.0.0/16")
        func publication(_ hostIP: String?, _ proto: PortPublication.Proto = .tcp, to ip: String = "172.18.0.2") -> PortPublication {
            PortPublication(proto: proto, hostIP: hostIP, hostPort: 8080, containerIP: ip, containerPort: 80, bridge: "shoal0")
        }
        func issues(_ publications: [PortPublication]) -> Int {
            HostRuleset(table: "t", networks: [network], publications: publications).validationIssues().count
        }
        #expect(issues([publication(nil), publication("0.0.0.0")]) == 0)  // the same rule twice
        #expect(issues([publication(nil), publication("127.0.0.1", to: "172.18.0.3")]) == 1)
        #expect(issues([publication("10.0.0.1"), publication("127.0.0.1", to: "172.18.0.3")]) == 0)
        #expect(issues([publication(nil), publication(nil, .udp, to: "172.18.0.3")]) == 0)
        #expect(issues([publication("10.0.0.1"), publication("10.0.0.1", to: "172.18.0.3")]) == 1)
    }
}
