import Testing
@testable import ShoalDNS

/// Golden bytes written by hand from RFC 1035 §4.1 (header, question, RR layout), §4.1.4 (compression) and
/// RFC 6891 §6.1.2 (OPT). If these change, the wire format changed.
@Suite struct DNSCodecGoldenTests {
    /// `web.app. IN A?`, id 0x1234, RD set, with an EDNS0 OPT advertising 1232 bytes.
    static let queryBytes: [UInt8] = [
        0x12, 0x34,  // ID
        0x01, 0x00,  // flags: QR=0 OPCODE=0 AA=0 TC=0 RD=1 | RA=0 Z=0 AD=0 CD=0 RCODE=0
        0x00, 0x01,  // QDCOUNT 1
        0x00, 0x00,  // ANCOUNT 0
        0x00, 0x00,  // NSCOUNT 0
        0x00, 0x01,  // ARCOUNT 1 (the OPT record)
        // offset 12: QNAME web.app.
        0x03, 0x77, 0x65, 0x62,  // 3 "web"
        0x03, 0x61, 0x70, 0x70,  // 3 "app"  (offset 16)
        0x00,  // root
        0x00, 0x01,  // QTYPE A
        0x00, 0x01,  // QCLASS IN
        // offset 25: OPT pseudo-RR
        0x00,  // NAME: root
        0x00, 0x29,  // TYPE 41 (OPT)
        0x04, 0xD0,  // CLASS = UDP payload size 1232
        0x00, 0x00, 0x00, 0x00,  // TTL = extended RCODE 0, version 0, DO=0, Z=0
        0x00, 0x00,  // RDLENGTH 0: no options
    ]

    /// The answer: `web.app. 600 IN CNAME db.app.` then `db.app. 600 IN A 10.0.0.2`, id 0x1234,
    /// QR AA RD RA set, every repeated name compressed.
    static let responseBytes: [UInt8] = [
        0x12, 0x34,  // ID
        0x85, 0x80,  // flags: QR=1 OPCODE=0 AA=1 TC=0 RD=1 | RA=1 Z=0 AD=0 CD=0 RCODE=0
        0x00, 0x01,  // QDCOUNT 1
        0x00, 0x02,  // ANCOUNT 2
        0x00, 0x00,  // NSCOUNT 0
        0x00, 0x00,  // ARCOUNT 0
        // offset 12: question, as in the query
        0x03, 0x77, 0x65, 0x62, 0x03, 0x61, 0x70, 0x70, 0x00,
        0x00, 0x01, 0x00, 0x01,
        // offset 25: answer 1
        0xC0, 0x0C,  // NAME: pointer to offset 12 (web.app.)
        0x00, 0x05,  // TYPE CNAME
        0x00, 0x01,  // CLASS IN
        0x00, 0x00, 0x02, 0x58,  // TTL 600
        0x00, 0x05,  // RDLENGTH 5
        0x02, 0x64, 0x62,  // offset 37: 2 "db"
        0xC0, 0x10,  // pointer to offset 16 (app.)
        // offset 42: answer 2
        0xC0, 0x25,  // NAME: pointer to offset 37 (db.app.)
        0x00, 0x01,  // TYPE A
        0x00, 0x01,  // CLASS IN
        0x00, 0x00, 0x02, 0x58,  // TTL 600
        0x00, 0x04,  // RDLENGTH 4
        0x0A, 0x00, 0x00, 0x02,  // 10.0.0.2
    ]

    static let query = DNSMessage.query(id: 0x1234, name: "web.app", type: .a, edns: DNSEDNS(udpPayloadSize: 1232))

    static let response = DNSMessage(
        header: DNSHeader(id: 0x1234, isResponse: true, isAuthoritative: true, recursionDesired: true, recursionAvailable: true),
        questions: [DNSQuestion(name: "web.app", type: .a)],
        answers: [
            DNSResourceRecord(name: "web.app", ttl: 600, data: .cname("db.app")),
            DNSResourceRecord(name: "db.app", ttl: 600, data: .a(DNSIPv4Address(10, 0, 0, 2))),
        ]
    )

    @Test func queryEncodesToGoldenBytes() throws {
        #expect(try Self.query.encoded() == Self.queryBytes)
    }

    @Test func queryDecodesFromGoldenBytes() throws {
        let decoded = try DNSMessage(decoding: Self.queryBytes)
        #expect(decoded == Self.query)
        #expect(decoded.maxUDPResponseSize == 1232)
    }

    @Test func responseEncodesToGoldenBytes() throws {
        #expect(try Self.response.encoded() == Self.responseBytes)
    }

    @Test func responseDecodesFromGoldenBytes() throws {
        let decoded = try DNSMessage(decoding: Self.responseBytes)
        #expect(decoded == Self.response)
        #expect(decoded.responseCode == .noError)
        #expect(decoded.answers[1].name.description == "db.app.")
    }

    @Test func headerFlagsRoundTripEveryBit() {
        for bit in [15, 10, 9, 8, 7, 5, 4] {
            let flags = UInt16(1) << UInt16(bit)
            #expect(DNSHeader(id: 1, flags: flags).flags == flags)
        }
        let mixed: UInt16 = 0b1_0101_1_0_1_1_0_1_0_0011  // QR, opcode 5, AA, RD, RA, AD, rcode 3
        #expect(DNSHeader(id: 1, flags: mixed).flags == mixed)
    }

    @Test func extendedRCodeSplitsBetweenHeaderAndOPT() throws {
        var message = DNSMessage.response(to: Self.query, code: .badVersion)
        #expect(message.header.rcodeLow == 0)
        #expect(message.edns?.extendedRCode == 1)
        message = try DNSMessage(decoding: message.encoded())
        #expect(message.responseCode == .badVersion)
    }
}
