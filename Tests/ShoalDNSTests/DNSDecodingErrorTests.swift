import Testing
@testable import ShoalDNS

/// Every class of bad input maps to a `DNSError`, never a trap or a hang.
@Suite struct DNSDecodingErrorTests {
    /// A header with the given counts and no flags.
    static func header(qd: UInt16 = 0, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0) -> [UInt8] {
        [0xAB, 0xCD, 0x01, 0x00] + [qd, an, ns, ar].flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    @Test func shortHeader() {
        for length in 0..<12 {
            #expect(throws: DNSError.headerTruncated) { try DNSMessage(decoding: Array(repeating: 0, count: length)) }
        }
        #expect(DNSMessage.decodeHeader([0, 1, 0x81]) == nil)
    }

    @Test func countsLargerThanThePacket() {
        #expect(throws: DNSError.countExceedsMessage) { try DNSMessage(decoding: Self.header(qd: 0xFFFF)) }
        #expect(throws: DNSError.countExceedsMessage) { try DNSMessage(decoding: Self.header(an: 2) + Array(repeating: 0, count: 21)) }
        // Counts that fit the minimum sizes but not the real records: a plain truncation.
        #expect(throws: DNSError.self) { try DNSMessage(decoding: Self.header(qd: 2) + [3, 0x61, 0x62, 0x63, 0, 0, 1, 0, 1, 0]) }
    }

    @Test func forwardAndSelfPointers() {
        // Question name at offset 12 is a pointer to itself.
        #expect(throws: DNSError.badPointer(offset: 12)) { try DNSMessage(decoding: Self.header(qd: 1) + [0xC0, 12, 0, 1, 0, 1]) }
        // Pointer forward to offset 14 (where a valid root byte sits).
        #expect(throws: DNSError.badPointer(offset: 12)) { try DNSMessage(decoding: Self.header(qd: 1) + [0xC0, 14, 0, 0, 1, 0, 1]) }
        // A loop through a label: "a" at 12, then a pointer at 14 back to 12. The pointer points backwards, but
        // into the name being read: refused before it can repeat.
        #expect(throws: DNSError.badPointer(offset: 14)) { try DNSMessage(decoding: Self.header(qd: 1) + [1, 0x61, 0xC0, 12, 0, 1, 0, 1]) }
    }

    @Test func pointerChainsRespectTheJumpBudget() throws {
        func message(chain: Int) -> [UInt8] {
            // question: root name, type A, class IN (offsets 12…16); one answer of an unknown type whose RDATA is
            // a root byte followed by `chain` pointers, each to the one before; a second answer whose owner
            // points at the last pointer, so reading it takes `chain + 1` jumps.
            var bytes = Self.header(qd: 1, an: 2) + [0, 0, 1, 0, 1]
            bytes += [0, 0xFF, 0x00, 0, 1, 0, 0, 0, 0]  // owner root, TYPE 65280, CLASS IN, TTL 0
            let rdataLength = 1 + 2 * chain
            bytes += [UInt8(rdataLength >> 8), UInt8(rdataLength & 0xFF)]
            let rootAt = bytes.count
            bytes.append(0)
            var previous = rootAt
            for _ in 0..<chain {
                let here = bytes.count
                bytes += [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF)]
                previous = here
            }
            bytes += [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF), 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]
            return bytes
        }
        let fine = try DNSMessage(decoding: message(chain: 100))
        #expect(fine.answers.count == 2 && fine.answers[1].name == .root)
        #expect(throws: DNSError.self) { try DNSMessage(decoding: message(chain: 200)) }
    }

    @Test func namesOver255Bytes() {
        // Five 63-byte labels: 5 × 64 + 1 = 321 bytes.
        let label = [UInt8(63)] + Array(repeating: 0x61, count: 63)
        let bytes = Self.header(qd: 1) + Array(Array(repeating: label, count: 5).joined()) + [0, 0, 1, 0, 1]
        #expect(throws: DNSError.nameTooLong) { try DNSMessage(decoding: bytes) }
        // The same length reached through pointers: a 4-label name, then a label prepended to a pointer to it.
        var viaPointer = Self.header(qd: 2) + Array(Array(repeating: label, count: 3).joined()) + [0, 0, 1, 0, 1]
        viaPointer += label + label + [0xC0, 12, 0, 1, 0, 1]
        #expect(throws: DNSError.nameTooLong) { try DNSMessage(decoding: viaPointer) }
    }

    @Test func reservedLabelTypes() {
        #expect(throws: DNSError.badLabelType(offset: 12)) { try DNSMessage(decoding: Self.header(qd: 1) + [0x41, 0, 0, 1, 0, 1]) }
        #expect(throws: DNSError.badLabelType(offset: 12)) { try DNSMessage(decoding: Self.header(qd: 1) + [0x80, 0, 0, 1, 0, 1]) }
    }

    @Test func truncatedRecordsAndRData() {
        let question: [UInt8] = [1, 0x61, 0, 0, 1, 0, 1]
        let answerHead: [UInt8] = [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60]
        // RDLENGTH 4 but only 2 bytes follow.
        #expect(throws: DNSError.truncated("RDATA")) {
            try DNSMessage(decoding: Self.header(qd: 1, an: 1) + question + answerHead + [0, 4, 10, 0])
        }
        // A record with 5 bytes of RDATA.
        #expect(throws: DNSError.self) {
            try DNSMessage(decoding: Self.header(qd: 1, an: 1) + question + answerHead + [0, 5, 10, 0, 0, 1, 9])
        }
        // CNAME whose name runs past RDLENGTH.
        let cname: [UInt8] = [0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 3, 0x61, 0x62, 0x63, 0]
        #expect(throws: DNSError.self) { try DNSMessage(decoding: Self.header(qd: 1, an: 1) + question + cname) }
        // TXT string longer than its RDATA.
        let txt: [UInt8] = [0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 3, 5, 0x61, 0x62]
        #expect(throws: DNSError.self) { try DNSMessage(decoding: Self.header(qd: 1, an: 1) + question + txt + [0, 0, 0]) }
        // Label running past the end of the packet.
        #expect(throws: DNSError.truncated("label")) { try DNSMessage(decoding: Self.header(qd: 1) + [9, 0x61, 0x62, 0, 0, 0]) }
    }

    @Test func repeatedOrMisplacedOPT() {
        let question: [UInt8] = [0, 0, 1, 0, 1]
        let opt: [UInt8] = [0, 0, 41, 4, 0xD0, 0, 0, 0, 0, 0, 0]
        #expect(throws: DNSError.badOPT) { try DNSMessage(decoding: Self.header(qd: 1, ar: 2) + question + opt + opt) }
        #expect(throws: DNSError.badOPT) { try DNSMessage(decoding: Self.header(qd: 1, an: 1) + question + opt) }
        let namedOPT: [UInt8] = [1, 0x61, 0] + opt.dropFirst()
        #expect(throws: DNSError.badOPT) { try DNSMessage(decoding: Self.header(qd: 1, ar: 1) + question + namedOPT) }
    }

    @Test func processorAnswersFormErrWhenHeaderReadableAndDropsOtherwise() {
        #expect(DNSQueryProcessor.classify([1, 2, 3]) == .drop)
        guard case .reply(let reply) = DNSQueryProcessor.classify(Self.header(qd: 0xFFFF)) else {
            Issue.record("expected FORMERR")
            return
        }
        #expect(reply.header.id == 0xABCD && reply.header.isResponse && reply.responseCode == .formatError)
        // A response is never answered.
        var response = Self.header(qd: 0)
        response[2] |= 0x80
        #expect(DNSQueryProcessor.classify(response) == .drop)
        // Two questions: FORMERR; opcode STATUS: NOTIMP; EDNS version 1: BADVERS.
        let two = Self.header(qd: 2) + [0, 0, 1, 0, 1, 0, 0, 1, 0, 1]
        guard case .reply(let formErr) = DNSQueryProcessor.classify(two) else { Issue.record("two questions"); return }
        #expect(formErr.responseCode == .formatError)
        var status = DNSMessage.query(id: 3, name: "a.app", type: .a)
        status.header.opcode = .status
        guard case .reply(let notImp) = DNSQueryProcessor.classify(try! status.encoded()) else { Issue.record("status"); return }
        #expect(notImp.responseCode == .notImplemented)
        let v1 = DNSMessage.query(id: 4, name: "a.app", type: .a, edns: DNSEDNS(version: 1))
        guard case .reply(let badVers) = DNSQueryProcessor.classify(try! v1.encoded()) else { Issue.record("v1"); return }
        #expect(badVers.responseCode == .badVersion)
    }
}
