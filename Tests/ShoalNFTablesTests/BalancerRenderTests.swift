import Foundation
import ShoalCore
import ShoalNFTables
import Testing

/// Golden text of BalancerRuleset.render(): what a sandbox's namespace gets from `nft -f`.
@Suite("Rendered service balancers")
struct BalancerRenderTests {
    static let web = """
        # Shoal service balancer (generated): replaces table ip shoal_lb in one transaction.
        table ip shoal_lb
        delete table ip shoal_lb

        table ip shoal_lb {
        	chain vip_10_0_1_2 {
        		dnat to 10.0.1.5
        	}

        	chain vip_10_0_1_9 {
        		meta l4proto tcp reject with tcp reset
        		reject with icmp type host-unreachable
        	}

        	chain vip_10_0_1_10 {
        		dnat to numgen random mod 3 map { 0 : 10.0.1.3, 1 : 10.0.1.17, 2 : 10.0.1.24 }
        	}

        	chain output {
        		type nat hook output priority -100; policy accept;
        		ct state new ip daddr vmap { 10.0.1.2 : jump vip_10_0_1_2, 10.0.1.9 : jump vip_10_0_1_9, 10.0.1.10 : jump vip_10_0_1_10 }
        	}
        }
        """

    static let empty = """
        # Shoal service balancer (generated): replaces table ip shoal_lb in one transaction.
        table ip shoal_lb
        delete table ip shoal_lb

        table ip shoal_lb {
        	chain output {
        		type nat hook output priority -100; policy accept;
        	}
        }
        """

    static let noBackends = """
        # Shoal service balancer (generated): replaces table ip lb_test in one transaction.
        table ip lb_test
        delete table ip lb_test

        table ip lb_test {
        	chain vip_192_168_7_2 {
        		meta l4proto tcp reject with tcp reset
        		reject with icmp type host-unreachable
        	}

        	chain output {
        		type nat hook output priority -100; policy accept;
        		ct state new ip daddr vmap { 192.168.7.2 : jump vip_192_168_7_2 }
        	}
        }
        """

    static let removal = """
        # Shoal service balancer (generated): removes table ip shoal_lb if present.
        table ip shoal_lb
        delete table ip shoal_lb
        """

    // A multi-line literal has no final newline; the scripts end with one.
    @Test("services by VIP in numeric order; backends sorted and once; one backend, several, none")
    func webServices() {
        #expect(BalancerFixtures.web.render() == Self.web + "\n")
    }

    @Test func noServices() {
        #expect(BalancerRuleset(services: []).render() == Self.empty + "\n")
    }

    @Test("a VIP without backends refuses: TCP reset, ICMP host unreachable for the rest")
    func vipWithoutBackends() {
        let ruleset = BalancerRuleset(table: "lb_test", services: [BalancedService(vip: "192.168.7.2", backends: [])])
        #expect(ruleset.render() == Self.noBackends + "\n")
    }

    @Test func removalScript() {
        #expect(BalancerRuleset.removal() == Self.removal + "\n")
    }

    @Test("a VIP listed twice renders once, with the union of its backends")
    func repeatedVIPsMerge() {
        var split = BalancerFixtures.web
        split.services[0].backends = ["10.0.1.24", "10.0.1.3"]
        split.services.append(BalancedService(vip: "10.0.1.10", backends: ["10.0.1.17", "10.0.1.24"]))
        split.services.append(BalancedService(vip: "10.0.1.9", backends: []))
        #expect(split.render() == Self.web + "\n")
    }

    @Test("shuffled services and backends render the same text", arguments: 0..<20)
    func determinism(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        let original = BalancerFixtures.many
        var shuffled = original
        shuffled.services.shuffle(using: &generator)
        for index in shuffled.services.indices {
            shuffled.services[index].backends.shuffle(using: &generator)
        }
        #expect(shuffled.render() == original.render())
    }

    @Test("many services: one chain and one verdict-map entry each, a map of every backend")
    func manyServices() {
        let script = BalancerFixtures.many.render()
        let services = BalancerFixtures.many.services
        let chains = script.split(separator: "\n").filter { $0.hasPrefix("\tchain vip_") }
        #expect(chains.count == services.count)
        for service in services {
            let chain = "vip_" + service.vip.split(separator: ".").joined(separator: "_")
            #expect(script.contains("\(service.vip) : jump \(chain)"))
            let body = script.components(separatedBy: "\tchain \(chain) {\n")[1].components(separatedBy: "\t}")[0]
            switch service.backends.count {
            case 0: #expect(body.contains("reject with tcp reset"))
            case 1: #expect(body == "\t\tdnat to \(service.backends[0])\n")
            default:
                #expect(body.contains("numgen random mod \(service.backends.count) map"))
                for backend in service.backends { #expect(body.contains(" : \(backend)")) }
            }
        }
    }

    @Test func validation() {
        #expect(BalancerFixtures.web.validationIssues() == [])
        #expect(BalancerFixtures.many.validationIssues() == [])
        let bad = BalancerRuleset(table: "shoal-lb", services: [
            BalancedService(vip: "10.0.1.300", backends: ["10.0.1.3"]),
            BalancedService(vip: "10.0.1.4", backends: ["fe80::1", "10.0.1.5"]),
        ])
        let issues = bad.validationIssues()
        #expect(issues.count == 3, "\(issues)")
        #expect(issues.contains { $0.contains("table name") })
        #expect(issues.contains { $0.contains("10.0.1.300") })
        #expect(issues.contains { $0.contains("fe80::1") })
    }
}
