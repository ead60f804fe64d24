import Testing
@testable import ShoalDNS

@Suite struct DNSNameTests {
    @Test func comparesCaseInsensitivelyWithOrWithoutTrailingDot() throws {
        // Built from runtime strings: a literal argument would be a literal coercion (see DNSTestSupport).
        func name(_ text: String) throws -> DNSName { try DNSName(text) }
        #expect(try name("Web.APP") == name("web.app."))
        #expect(try name("Web.APP").hashValue == name("web.app").hashValue)
        #expect(try name("web.app") != name("web.ap"))
        #expect(try name("") == .root)
        #expect(try name(".") == .root)
    }

    @Test func enforcesLabelAndNameLimits() throws {
        let label63 = String(repeating: "a", count: 63)
        #expect(throws: Never.self) { try DNSName(label63) }
        #expect(throws: DNSError.labelTooLong) { try DNSName(label63 + "a") }
        // 4 labels of 62 bytes: 4 × 63 + 1 = 253 bytes on the wire; one more 1-byte label makes 255 (allowed),
        // a 2-byte one 256 (not allowed).
        let base = Array(repeating: String(repeating: "b", count: 62), count: 4).joined(separator: ".")
        #expect(throws: Never.self) { try DNSName(base + ".c") }
        #expect(try DNSName(base + ".c").wireLength == 255)
        #expect(throws: DNSError.nameTooLong) { try DNSName(base + ".cc") }
        for text in ["a..b", ".a", "a.."] {
            #expect(throws: DNSError.emptyLabel) { try DNSName(text) }
        }
    }

    @Test func subdomainsAndPresentation() throws {
        let name: DNSName = "web.Example.com"
        #expect(name.isSubdomain(of: "example.COM"))
        #expect(name.isSubdomain(of: name))
        #expect(name.isSubdomain(of: .root))
        #expect(!name.isSubdomain(of: "ample.com"))
        #expect(name.description == "web.Example.com.")
        #expect(name.textWithoutTrailingDot == "web.Example.com")
        #expect(try DNSName(labels: [[0x61, 0x2E, 0x00]]).description == "a\\046\\000.")
    }
}

@Suite struct DNSCodecTests {
    static let richResponse = DNSMessage(
        header: DNSHeader(id: 7, isResponse: true, recursionDesired: true, recursionAvailable: true),
        questions: [DNSQuestion(name: "www.example.com", type: .any)],
        answers: [
            DNSResourceRecord(name: "www.example.com", ttl: 300, data: .cname("web.example.com")),
            DNSResourceRecord(name: "web.example.com", ttl: 300, data: .a(DNSIPv4Address(192, 0, 2, 1))),
            DNSResourceRecord(name: "WEB.example.com", ttl: 300, data: .aaaa(try! DNSIPv6Address("2001:db8::1"))),
            DNSResourceRecord(name: "_http._tcp.example.com", ttl: 60, data: .srv(priority: 1, weight: 2, port: 80, target: "web.example.com")),
            DNSResourceRecord(name: "example.com", ttl: 60, data: .mx(preference: 10, exchange: "mail.example.com")),
            DNSResourceRecord(name: "example.com", ttl: 60, data: .txt([Array("v=spf1 -all".utf8), []])),
            DNSResourceRecord(name: "1.2.0.192.in-addr.arpa", ttl: 60, data: .ptr("web.example.com")),
            DNSResourceRecord(name: "example.com", recordClass: .chaos, ttl: 5, data: .raw(type: DNSRecordType(rawValue: 99), bytes: [1, 2, 3])),
        ],
        authority: [
            DNSResourceRecord(name: "example.com", ttl: 3600, data: .ns("ns1.example.com")),
            DNSResourceRecord(name: "example.com", ttl: 3600, data: .soa(DNSStartOfAuthority(
                primaryServer: "ns1.example.com", mailbox: "hostmaster.example.com", serial: 2024010101,
                refresh: 7200, retry: 900, expire: 1_209_600, minimumTTL: 300
            ))),
        ],
        additional: [DNSResourceRecord(name: "ns1.example.com", ttl: 3600, data: .a(DNSIPv4Address(192, 0, 2, 53)))],
        edns: DNSEDNS(udpPayloadSize: 4096, dnssecOK: true, options: [0, 10, 0, 2, 0xAB, 0xCD])
    )

    @Test func compressionRoundTripsAndShrinks() throws {
        let compressed = try Self.richResponse.encoded()
        let plain = try Self.richResponse.encoded(compress: false)
        #expect(compressed.count < plain.count)
        #expect(try DNSMessage(decoding: compressed) == Self.richResponse)
        #expect(try DNSMessage(decoding: plain) == Self.richResponse)
        // Every pointer in the compressed form points backwards: decoding succeeded, and re-encoding is stable.
        #expect(try DNSMessage(decoding: compressed).encoded() == compressed)
        print("compression: \(plain.count) bytes plain, \(compressed.count) compressed")
    }

    @Test func truncationDropsAnswersAndSetsTC() throws {
        let answers = (0..<40).map { DNSResourceRecord.a("many.app", "10.0.\($0 / 256).\($0 % 256)") }
        let query = DNSMessage.query(id: 9, name: "many.app", type: .a)
        let reply = DNSMessage.response(to: query, answers: answers)
        #expect(try reply.encoded().count > 512)

        let cut = try reply.truncated(toFit: query.maxUDPResponseSize)
        #expect(cut.header.isTruncated)
        #expect(!cut.answers.isEmpty && cut.answers.count < 40)
        #expect(Array(answers.prefix(cut.answers.count)) == cut.answers)
        #expect(try cut.encoded().count <= 512)
        // One more answer would not have fit.
        var oneMore = cut
        oneMore.answers = Array(answers.prefix(cut.answers.count + 1))
        #expect(try oneMore.encoded().count > 512)

        // A client that advertised 4096 with EDNS0 gets up to our 1232: no truncation for this reply.
        let ednsQuery = DNSMessage.query(id: 9, name: "many.app", type: .a, edns: DNSEDNS(udpPayloadSize: 4096))
        let ednsReply = DNSMessage.response(to: ednsQuery, answers: answers)
        let kept = try ednsReply.truncated(toFit: ednsQuery.maxUDPResponseSize)
        #expect(!kept.header.isTruncated && kept.answers.count == 40 && kept.edns != nil)
    }

    @Test func truncationDropsAdditionalFirstWithoutTC() throws {
        var reply = DNSMessage.response(to: .query(id: 1, name: "a.app", type: .a), answers: [.a("a.app", "10.0.0.1")])
        reply.additional = (0..<40).map { DNSResourceRecord.a("extra\($0).app", "10.1.0.\($0)") }
        let cut = try reply.truncated(toFit: 512)
        #expect(!cut.header.isTruncated)
        #expect(cut.answers.count == 1 && cut.additional.isEmpty)
    }

    @Test func smallReplyIsUntouched() throws {
        let reply = DNSCodecGoldenTests.response
        #expect(try reply.encoded(truncatingTo: 512) == reply.encoded())
    }

    @Test func encodingRefusesOversizedFields() {
        let reply = DNSMessage(
            header: DNSHeader(id: 1, isResponse: true),
            answers: [DNSResourceRecord(name: "t.app", ttl: 1, data: .txt([Array(repeating: 0x61, count: 256)]))]
        )
        #expect(throws: DNSError.tooLarge) { try reply.encoded() }
    }
}
