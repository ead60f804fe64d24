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
    ])

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
        })
        #expect(shuffled.render() == Self.mesh.render())
    }

    @Test("no ports: nothing is dispatched, and nothing is ever masqueraded (the client's address is kept)")
    func noPortsDispatchNothing() {
        let text = IngressRuleset(rules: []).render()
        #expect(!text.contains("vmap"))
        #expect(!Self.mesh.render().contains("masquerade") && !text.contains("masquerade"))
    }

    static let meshReturn = MeshReturnRuleset(interface: "eth0")

    static let meshReturnText = """
        # Shoal routing mesh return path (generated): replaces table ip shoal_mesh_return and table netdev shoal_mesh_return in one transaction.
        table ip shoal_mesh_return
        delete table ip shoal_mesh_return
        table netdev shoal_mesh_return
        delete table netdev shoal_mesh_return

        table ip shoal_mesh_return {
        	chain prerouting {
        		type filter hook prerouting priority mangle; policy accept;
        		iifname "eth0" ct state new ct mark set @ll,64,32
        	}

        	chain output {
        		type route hook output priority mangle; policy accept;
        		ct direction reply ct mark != 0 meta mark set ct mark
        	}
        }

        table netdev shoal_mesh_return {
        	map senders {
        		type mark : ether_addr
        		size 65536
        		flags dynamic
        	}

        	chain ingress {
        		type filter hook ingress device "eth0" priority filter; policy accept;
        		update @senders { @ll,64,32 : ether saddr }
        	}

        	chain egress {
        		type filter hook egress device "eth0" priority filter; policy accept;
        		meta mark != 0 ether daddr set meta mark map @senders
        	}
        }

        """

    @Test func rendersTheReturnPathOfATask() {
        #expect(Self.meshReturn.render() == Self.meshReturnText)
        #expect(Self.meshReturn.validationIssues().isEmpty)
        #expect(MeshReturnRuleset(table: "9", interface: "a/b").validationIssues().count == 2)
    }

    @Test func badModelsAreReported() {
        let bad = IngressRuleset(table: "1x", rules: [
            IngressRule(proto: .tcp, publishedPort: 80, targetPort: 0, backends: ["10.0.0.300"]),
            IngressRule(proto: .tcp, publishedPort: 81, targetPort: 1, backends: []),
            IngressRule(proto: .tcp, publishedPort: 81, targetPort: 2, backends: []),
        ])
        let issues = bad.validationIssues()
        #expect(issues.count == 4, "\(issues)")
        #expect(issues.contains("port tcp_81 is published with different targets"))
    }
}
