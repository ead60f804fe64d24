import ShoalNFTables
import Testing

/// Golden text of IngressRuleset.render(): what a node's ingress sandbox gets from `nft -f`.
@Suite("Rendered routing mesh")
struct IngressRenderTests {
    static let mesh = IngressRuleset(rules: [
        IngressRule(proto: .tcp, publishedPort: 8080, targetPort: 80, backends: ["10.0.0.17", "10.0.0.3", "10.0.0.3"]),
        IngressRule(proto: .udp, publishedPort: 53, targetPort: 5353, backends: ["10.0.0.9"]),
        IngressRule(proto: .tcp, publishedPort: 9000, targetPort: 9000, backends: []),
        // The same port given again (a second VIP stream entry of one service): its backends join.
        IngressRule(proto: .tcp, publishedPort: 8080, targetPort: 80, backends: ["10.0.0.24"]),
    ], ingressInterface: "eth0")

    static let meshText = """
        # Shoal routing mesh (generated): replaces table ip shoal_ingress in one transaction.
        table ip shoal_ingress
        delete table ip shoal_ingress

        table ip shoal_ingress {
        	chain udp_53 {
        		meta l4proto udp dnat to 10.0.0.9:5353
        	}

        	chain tcp_8080 {
        		meta l4proto tcp dnat to numgen random mod 3 map { 0 : 10.0.0.3, 1 : 10.0.0.17, 2 : 10.0.0.24 } : 80
        	}

        	chain tcp_9000 {
        		reject with tcp reset
        	}

        	chain prerouting {
        		type nat hook prerouting priority -100; policy accept;
        		ct state new meta l4proto . th dport vmap { udp . 53 : jump udp_53, tcp . 8080 : jump tcp_8080, tcp . 9000 : jump tcp_9000 }
        	}

        	chain postrouting {
        		type nat hook postrouting priority 100; policy accept;
        		oifname "eth0" masquerade
        	}
        }

        """

    @Test func rendersEachPortOnceWithItsBackendsSorted() {
        #expect(Self.mesh.render() == Self.meshText)
        #expect(Self.mesh.validationIssues().isEmpty)
    }

    @Test func orderOfRulesAndBackendsDoesNotMatter() {
        let shuffled = IngressRuleset(rules: Self.mesh.rules.reversed().map { rule in
            var rule = rule
            rule.backends.reverse()
            return rule
        }, ingressInterface: "eth0")
        #expect(shuffled.render() == Self.mesh.render())
    }

    @Test func noPortsStillMasqueradesAndDispatchesNothing() {
        let text = IngressRuleset(rules: [], ingressInterface: "eth1").render()
        #expect(!text.contains("vmap"))
        #expect(text.contains("oifname \"eth1\" masquerade"))
    }

    @Test func badModelsAreReported() {
        let bad = IngressRuleset(table: "1x", rules: [
            IngressRule(proto: .tcp, publishedPort: 80, targetPort: 0, backends: ["10.0.0.300"]),
            IngressRule(proto: .tcp, publishedPort: 81, targetPort: 1, backends: []),
            IngressRule(proto: .tcp, publishedPort: 81, targetPort: 2, backends: []),
        ], ingressInterface: "an-interface-name-too-long")
        let issues = bad.validationIssues()
        #expect(issues.count == 5, "\(issues)")
        #expect(issues.contains("port tcp_81 is published with different targets"))
    }
}
