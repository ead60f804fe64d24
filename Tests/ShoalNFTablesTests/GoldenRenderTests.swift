import ShoalCore
import ShoalNFTables
import Testing

/// Golden text of render(): what the daemon hands to `nft -f`. Exact bytes, so any change to a rule shows up here.
@Suite("Rendered scripts")
struct GoldenRenderTests {
    static let empty = """
        # Shoal host ruleset (generated): replaces table ip t in one transaction.
        table ip t
        delete table ip t

        table ip t {
        	chain publish {
        	}

        	chain prerouting {
        		type nat hook prerouting priority dstnat; policy accept;
        		fib daddr type local jump publish
        	}

        	chain output {
        		type nat hook output priority -100; policy accept;
        		fib daddr type local jump publish
        	}

        	chain postrouting {
        		type nat hook postrouting priority srcnat; policy accept;
        	}

        	chain forward {
        		type filter hook forward priority filter; policy accept;
        	}
        }
        """

    static let oneNetwork = """
        # Shoal host ruleset (generated): replaces table ip shoal_3fa2c1d0 in one transaction.
        table ip shoal_3fa2c1d0
        delete table ip shoal_3fa2c1d0

        table ip shoal_3fa2c1d0 {
        	chain publish {
        		tcp dport 8080 dnat to 172.18.0.2:80
        	}

        	chain prerouting {
        		type nat hook prerouting priority dstnat; policy accept;
        		fib daddr type local jump publish
        	}

        	chain output {
        		type nat hook output priority -100; policy accept;
        		fib daddr type local jump publish
        	}

        	chain postrouting {
        		type nat hook postrouting priority srcnat; policy accept;
        		# shoal0 172.18.0.0/16
        		oifname "shoal0" ip saddr 127.0.0.0/8 masquerade
        		oifname "shoal0" ip saddr 172.18.0.0/16 ct status dnat masquerade
        		oifname != "shoal0" ip saddr 172.18.0.0/16 masquerade
        	}

        	chain forward {
        		type filter hook forward priority filter; policy accept;
        		# shoal0 172.18.0.0/16
        		oifname "shoal0" ct state established,related accept
        		oifname "shoal0" ct status dnat accept
        		iifname "shoal0" oifname "shoal0" accept
        		oifname "shoal0" drop
        		iifname "shoal0" accept
        	}
        }
        """

    static let twoNetworksAndInternal = """
        # Shoal host ruleset (generated): replaces table ip shoal_3fa2c1d0 in one transaction.
        table ip shoal_3fa2c1d0
        delete table ip shoal_3fa2c1d0

        table ip shoal_3fa2c1d0 {
        	chain publish {
        	}

        	chain prerouting {
        		type nat hook prerouting priority dstnat; policy accept;
        		fib daddr type local jump publish
        	}

        	chain output {
        		type nat hook output priority -100; policy accept;
        		fib daddr type local jump publish
        	}

        	chain postrouting {
        		type nat hook postrouting priority srcnat; policy accept;
        		# br-1a2b3c4d5e6f 172.18.0.0/16
        		oifname "br-1a2b3c4d5e6f" ip saddr 127.0.0.0/8 masquerade
        		oifname "br-1a2b3c4d5e6f" ip saddr 172.18.0.0/16 ct status dnat masquerade
        		# shoal0 172.17.0.0/16
        		oifname "shoal0" ip saddr 127.0.0.0/8 masquerade
        		oifname "shoal0" ip saddr 172.17.0.0/16 ct status dnat masquerade
        		oifname != "shoal0" ip saddr 172.17.0.0/16 masquerade
        	}

        	chain forward {
        		type filter hook forward priority filter; policy accept;
        		# isolation between Shoal bridges
        		iifname "br-1a2b3c4d5e6f" oifname { "br-internal01", "shoal0" } drop
        		iifname "br-internal01" oifname { "br-1a2b3c4d5e6f", "shoal0" } drop
        		iifname "shoal0" oifname { "br-1a2b3c4d5e6f", "br-internal01" } drop
        		# br-1a2b3c4d5e6f 172.18.0.0/16
        		oifname "br-1a2b3c4d5e6f" ct state established,related accept
        		oifname "br-1a2b3c4d5e6f" ct status dnat accept
        		iifname "br-1a2b3c4d5e6f" oifname "br-1a2b3c4d5e6f" drop
        		oifname "br-1a2b3c4d5e6f" drop
        		iifname "br-1a2b3c4d5e6f" accept
        		# br-internal01 172.19.0.0/24 (internal)
        		iifname "br-internal01" oifname "br-internal01" accept
        		iifname "br-internal01" drop
        		oifname "br-internal01" drop
        		# shoal0 172.17.0.0/16
        		oifname "shoal0" ct state established,related accept
        		oifname "shoal0" ct status dnat accept
        		iifname "shoal0" oifname "shoal0" accept
        		oifname "shoal0" drop
        		iifname "shoal0" accept
        	}
        }
        """

    static let publications = """
        # Shoal host ruleset (generated): replaces table ip shoal_3fa2c1d0 in one transaction.
        table ip shoal_3fa2c1d0
        delete table ip shoal_3fa2c1d0

        table ip shoal_3fa2c1d0 {
        	chain publish {
        		ip daddr 192.0.2.10 tcp dport 443 dnat to 172.17.0.10:8443
        		tcp dport 5353 dnat to 172.17.0.3:53
        		udp dport 5353 dnat to 172.17.0.3:53
        		ip daddr 127.0.0.1 tcp dport 8080 dnat to 172.17.0.2:80
        	}

        	chain prerouting {
        		type nat hook prerouting priority dstnat; policy accept;
        		fib daddr type local jump publish
        	}

        	chain output {
        		type nat hook output priority -100; policy accept;
        		fib daddr type local jump publish
        	}

        	chain postrouting {
        		type nat hook postrouting priority srcnat; policy accept;
        		# shoal0 172.17.0.0/16
        		oifname "shoal0" ip saddr 127.0.0.0/8 masquerade
        		oifname "shoal0" ip saddr 172.17.0.0/16 ct status dnat masquerade
        		oifname != "shoal0" ip saddr 172.17.0.0/16 masquerade
        	}

        	chain forward {
        		type filter hook forward priority filter; policy accept;
        		# isolation between Shoal bridges
        		iifname "br-internal01" oifname "shoal0" drop
        		iifname "shoal0" oifname "br-internal01" drop
        		# br-internal01 172.19.0.0/24 (internal)
        		iifname "br-internal01" oifname "br-internal01" accept
        		iifname "br-internal01" drop
        		oifname "br-internal01" drop
        		# shoal0 172.17.0.0/16
        		oifname "shoal0" ct state established,related accept
        		oifname "shoal0" ct status dnat accept
        		iifname "shoal0" oifname "shoal0" accept
        		oifname "shoal0" drop
        		iifname "shoal0" accept
        	}
        }
        """

    static let removal = """
        # Shoal host ruleset (generated): removes table ip shoal_3fa2c1d0 and table ip6 shoal_3fa2c1d0 if present.
        table ip shoal_3fa2c1d0
        delete table ip shoal_3fa2c1d0
        table ip6 shoal_3fa2c1d0
        delete table ip6 shoal_3fa2c1d0
        """

    // A multi-line literal has no final newline; the scripts end with one.
    @Test func emptyRuleset() {
        #expect(HostRuleset(table: "t").render() == Self.empty + "\n")
    }

    @Test func oneNetworkOnePublication() {
        #expect(Fixtures.oneNetwork.render() == Self.oneNetwork + "\n")
    }

    @Test("two networks with icc and masquerade off, plus an internal one")
    func twoNetworksAndInternalNetwork() {
        #expect(Fixtures.twoNetworksAndInternal.render() == Self.twoNetworksAndInternal + "\n")
    }

    @Test("publications with and without host IP, tcp and udp; none on an internal network")
    func publicationRules() {
        #expect(Fixtures.publications.render() == Self.publications + "\n")
    }

    @Test func removalScript() {
        #expect(HostRuleset.removal(table: "shoal_3fa2c1d0") == Self.removal + "\n")
    }

    @Test("0.0.0.0 and nil are the same binding; duplicates render once")
    func wildcardSpellingsAndDuplicates() {
        var ruleset = Fixtures.oneNetwork
        ruleset.publications[0].hostIP = "0.0.0.0"
        ruleset.publications.append(ruleset.publications[0])
        ruleset.publications.append(Fixtures.oneNetwork.publications[0])
        ruleset.networks.append(ruleset.networks[0])
        #expect(ruleset.render() == Self.oneNetwork + "\n")
    }

    @Test("a host IP that is not IPv4 cannot be expressed in an ip table and is left out")
    func ipv6HostAddressIsLeftOut() {
        var ruleset = Fixtures.oneNetwork
        ruleset.publications.append(
            PortPublication(hostIP: "::", hostPort: 8080, containerIP: "172.18.0.2", containerPort: 80, bridge: "shoal0"))
        #expect(ruleset.render() == Self.oneNetwork + "\n")
    }

    @Test("IPv6 networks get the same forward policy in an ip6 table: isolation, icc, internal; no NAT")
    func ipv6NetworksRenderAnIPv6Table() throws {
        let script = Fixtures.ipv6Networks.render()
        #expect(script.contains("table ip6 shoal_3fa2c1d0\ndelete table ip6 shoal_3fa2c1d0\n"))
        let parts = script.components(separatedBy: "table ip6 shoal_3fa2c1d0 {\n")
        try #require(parts.count == 2, "\(script)")
        #expect(parts[1] == Self.ipv6Table + "\n", "\(parts[1])")
        #expect(Fixtures.ipv6Networks.hasIPv6 && !Fixtures.oneNetwork.hasIPv6)
        #expect(!Fixtures.oneNetwork.render().contains("ip6"))
    }

    static let ipv6Table = """
        \tchain forward {
        \t\ttype filter hook forward priority filter; policy accept;
        \t\t# isolation between Shoal bridges
        \t\tiifname "br-int6" oifname { "br-v6a", "br-v6b" } drop
        \t\tiifname "br-v6a" oifname { "br-int6", "br-v6b" } drop
        \t\tiifname "br-v6b" oifname { "br-int6", "br-v6a" } drop
        \t\t# br-int6 fd00:c::/64 (internal)
        \t\tiifname "br-int6" oifname "br-int6" accept
        \t\tiifname "br-int6" drop
        \t\toifname "br-int6" drop
        \t\t# br-v6a fd00:a::/64
        \t\toifname "br-v6a" ct state established,related accept
        \t\toifname "br-v6a" ct status dnat accept
        \t\tiifname "br-v6a" oifname "br-v6a" accept
        \t\toifname "br-v6a" drop
        \t\tiifname "br-v6a" accept
        \t\t# br-v6b fd00:b::/64
        \t\toifname "br-v6b" ct state established,related accept
        \t\toifname "br-v6b" ct status dnat accept
        \t\tiifname "br-v6b" oifname "br-v6b" drop
        \t\toifname "br-v6b" drop
        \t\tiifname "br-v6b" accept
        \t}
        }
        """

    @Test("shuffled input renders the same text", arguments: 0..<20)
    func determinism(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        let original = Fixtures.large
        var shuffled = original
        shuffled.networks.shuffle(using: &generator)
        shuffled.publications.shuffle(using: &generator)
        #expect(shuffled.render() == original.render())
    }

    @Test("every rule of a bridge names the bridge; isolation pairs cover both directions")
    func isolationCoversEveryPair() {
        let script = Fixtures.large.render()
        let bridges = Fixtures.large.networks.map(\.bridge)
        for bridge in bridges {
            let others = bridges.filter { $0 != bridge }.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            #expect(script.contains("\t\tiifname \"\(bridge)\" oifname { \(others) } drop\n"))
        }
    }
}

