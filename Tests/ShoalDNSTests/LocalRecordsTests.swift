import Testing
@testable import ShoalDNS

@Suite struct LocalRecordsTests {
    static func table() throws -> DNSRecordTable {
        let table = DNSRecordTable()
        table.upsert(endpointID: "ep-web", DNSEndpointRecord(
            network: "app", names: ["web", "frontend", "0123456789ab"], ipv4: [try DNSIPv4Address("172.18.0.2")]
        ))
        table.upsert(endpointID: "ep-db", DNSEndpointRecord(
            network: "app", names: ["db"], ipv4: [try DNSIPv4Address("172.18.0.3")],
            ipv6: [try DNSIPv6Address("fd00:18::3")]
        ))
        table.upsert(endpointID: "ep-other", DNSEndpointRecord(
            network: "other", names: ["hidden"], ipv4: [try DNSIPv4Address("172.19.0.2")]
        ))
        return table
    }

    static func ask(_ resolver: LocalRecords, _ name: String, _ type: DNSRecordType) async throws -> DNSMessage? {
        await resolver.resolve(.query(id: 42, name: try DNSName(name), type: type))
    }

    @Test func aRecordsCaseInsensitiveWithOrWithoutTrailingDot() async throws {
        let local = LocalRecords(table: try Self.table(), networks: ["app"])
        for name in ["web", "WEB.", "Frontend", "0123456789AB", "web.app", "WEB.App."] {
            let reply = try #require(try await Self.ask(local, name, .a), "\(name)")
            #expect(reply.responseCode == .noError && reply.header.isAuthoritative && reply.header.id == 42)
            #expect(reply.answers.map(\.data) == [.a(try DNSIPv4Address("172.18.0.2"))], "\(name)")
            #expect(reply.answers.first?.ttl == 600)
            #expect(reply.answers.first?.name == (try DNSName(name)))
        }
    }

    @Test func aaaaForAnIPv4OnlyNameIsNoErrorWithoutAnswers() async throws {
        let local = LocalRecords(table: try Self.table(), networks: ["app"])
        let reply = try #require(try await Self.ask(local, "web", .aaaa))
        #expect(reply.responseCode == .noError && reply.answers.isEmpty)
        let dual = try #require(try await Self.ask(local, "db", .aaaa))
        #expect(dual.answers.map(\.data) == [.aaaa(try DNSIPv6Address("fd00:18::3"))])
        let any = try #require(try await Self.ask(local, "db", .any))
        #expect(any.answers.count == 2)
        let mx = try #require(try await Self.ask(local, "db", .mx))
        #expect(mx.responseCode == .noError && mx.answers.isEmpty)
    }

    @Test func unknownNamesAndOtherNetworksAreNotLocal() async throws {
        let local = LocalRecords(table: try Self.table(), networks: ["app"])
        #expect(try await Self.ask(local, "nosuch", .a) == nil)
        #expect(try await Self.ask(local, "hidden", .a) == nil)
        #expect(try await Self.ask(local, "web.other", .a) == nil)
        local.setNetworks(["app", "other"])
        #expect(try await Self.ask(local, "hidden", .a)?.answers.count == 1)
    }

    @Test func endpointLinkAliasesResolveOnTheirNetworkOnly() async throws {
        let local = LocalRecords(table: try Self.table(), networks: ["app"],
                                 links: LocalRecords.links(["app": ["store": "db", "ghost": "nosuch"],
                                                            "other": ["web2": "web"]]))
        let reply = try #require(try await Self.ask(local, "Store", .a))
        #expect(reply.answers.map(\.data) == [.a(try DNSIPv4Address("172.18.0.3"))])
        #expect(reply.answers.first?.name == ("Store" as DNSName))
        // A link whose target is unknown, or on a network the sandbox is not on, answers nothing.
        #expect(try await Self.ask(local, "ghost", .a) == nil)
        #expect(try await Self.ask(local, "web2", .a) == nil)
        // Another sandbox on the same table does not see the alias.
        #expect(try await Self.ask(LocalRecords(table: local.table, networks: ["app"]), "store", .a) == nil)
    }

    @Test func reversePTRForLocalAddresses() async throws {
        let local = LocalRecords(table: try Self.table(), networks: ["app"])
        let reply = try #require(try await Self.ask(local, "2.0.18.172.in-addr.arpa", .ptr))
        #expect(reply.answers.map(\.data) == [.ptr("web.app")])
        let v6Name = "3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.1.0.0.0.0.d.f.ip6.arpa"
        #expect(try await Self.ask(local, v6Name, .ptr)?.answers.map(\.data) == [.ptr("db.app")])
        #expect(try await Self.ask(local, "9.0.18.172.in-addr.arpa", .ptr) == nil)
        #expect(try await Self.ask(local, "2.0.19.172.in-addr.arpa", .ptr) == nil)  // on "other": out of scope
        #expect(LocalRecords.reverseAddress("18.172.in-addr.arpa") == nil)
        #expect(LocalRecords.reverseAddress("02.0.18.172.in-addr.arpa") == nil)
    }

    @Test func removalAndSharedNames() async throws {
        let table = try Self.table()
        table.upsert(endpointID: "ep-web2", DNSEndpointRecord(
            network: "app", names: ["frontend"], ipv4: [try DNSIPv4Address("172.18.0.9")]
        ))
        let local = LocalRecords(table: table, networks: ["app"])
        #expect(try await Self.ask(local, "frontend", .a)?.answers.count == 2)
        table.remove(endpointID: "ep-web")
        #expect(try await Self.ask(local, "web", .a) == nil)
        #expect(try await Self.ask(local, "frontend", .a)?.answers.map(\.data) == [.a(try DNSIPv4Address("172.18.0.9"))])
        #expect(try await Self.ask(local, "2.0.18.172.in-addr.arpa", .ptr) == nil)
        #expect(table.snapshot.endpointCount == 3)
    }

    @Test func aSharedNameAnswersEveryAddressInAShuffledOrder() async throws {
        let table = try Self.table()
        for n in 10..<14 {
            table.upsert(endpointID: "ep-web\(n)", DNSEndpointRecord(
                network: "app", names: ["frontend"], ipv4: [try DNSIPv4Address("172.18.0.\(n)")]
            ))
        }
        let local = LocalRecords(table: table, networks: ["app"])
        var firsts: Set<DNSRecordData> = []
        for _ in 0..<64 {
            let answers = try await Self.ask(local, "frontend", .a)?.answers.map(\.data) ?? []
            #expect(Set(answers).count == 5 && answers.count == 5)
            if let first = answers.first { firsts.insert(first) }
        }
        // 64 answers all led by one address would mean no shuffle (the chance of that with one: 5^-63).
        #expect(firsts.count > 1)
    }

    @Test func chainAnswersNXDomainInsideLocalDomainsAndRefusesWithoutForwarder() async throws {
        let local = LocalRecords(table: try Self.table(), networks: ["app"])
        let chain = ChainResolver(local: local, forwarder: nil, localDomains: ["app", "18.172.in-addr.arpa"])
        let known = try #require(await chain.resolve(.query(id: 1, name: "web.app", type: .a)))
        #expect(known.answers.count == 1)
        let missing = try #require(await chain.resolve(.query(id: 2, name: "nosuch.app", type: .a)))
        #expect(missing.responseCode == .nameError && missing.header.isAuthoritative && missing.header.id == 2)
        let reverse = try #require(await chain.resolve(.query(id: 3, name: "77.0.18.172.in-addr.arpa", type: .ptr)))
        #expect(reverse.responseCode == .nameError)
        let outside = try #require(await chain.resolve(.query(id: 4, name: "example.com", type: .a)))
        #expect(outside.responseCode == .refused)

        let upstream = ClosureResolver { .response(to: $0, answers: [.a($0.questions[0].name, "192.0.2.7")]) }
        let forwarding = ChainResolver(local: local, forwarder: upstream, localDomains: ["app"])
        #expect(try #require(await forwarding.resolve(.query(id: 5, name: "example.com", type: .a))).answers.count == 1)
        #expect(try #require(await forwarding.resolve(.query(id: 6, name: "nosuch.app", type: .a))).responseCode == .nameError)
        #expect(upstream.calls == 1)
    }

    /// The event-loop fast path gives exactly what `resolve` gives, and nothing that needs the forwarder.
    @Test func immediateAnswersMatchTheAsyncPathAndLeaveForwardingAlone() async throws {
        let local = LocalRecords(table: try Self.table(), networks: ["app"])
        let upstream = ClosureResolver { .response(to: $0, answers: [.a($0.questions[0].name, "192.0.2.7")]) }
        let forwarding = ChainResolver(local: local, forwarder: upstream, localDomains: ["app"])
        let processor = DNSQueryProcessor(resolver: forwarding)
        for name in ["web", "db", "0123456789ab", "nosuch.app"] {
            let query = DNSMessage.query(id: 9, name: try DNSName(name), type: .a)
            let now = try #require(processor.respondNow(to: query, maxBytes: 512), "\(name)")
            #expect(now == (await processor.respond(to: query, maxBytes: 512)), "\(name)")
        }
        #expect(processor.respondNow(to: .query(id: 10, name: "example.com", type: .a), maxBytes: 512) == nil)
        #expect(processor.respondNow(to: .query(id: 11, name: "hidden", type: .a), maxBytes: 512) == nil)
        #expect(upstream.calls == 0)
        let refusing = ChainResolver(local: local, forwarder: nil)
        #expect(refusing.resolveNow(.query(id: 12, name: "example.com", type: .a))?.responseCode == .refused)
    }
}
