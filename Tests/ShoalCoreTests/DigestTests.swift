import Testing
import ShoalCore

@Suite struct DigestTests {
    @Test func sha256OfEmptyInputMatchesTheKnownValue() {
        #expect(Digest.sha256(of: [UInt8]()).description
            == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func parsingRejectsOtherAlgorithmsAndBadHex() {
        #expect(throws: ShoalError.self) { try Digest(parsing: "md5:abc") }
        #expect(throws: ShoalError.self) { try Digest(parsing: "sha256:XYZ") }
        #expect(throws: ShoalError.self) { try Digest(parsing: "sha256:" + String(repeating: "A", count: 64)) }
    }

    @Test func hasherMatchesOneShot() {
        var hasher = DigestHasher()
        hasher.update(Array("hello ".utf8))
        hasher.update(Array("world".utf8))
        #expect(hasher.finalize() == Digest.sha256(of: Array("hello world".utf8)))
    }

    @Test func identifiersAreHexAndNotAllDigitsInShortForm() {
        for _ in 0..<200 {
            let id = Identifier.random()
            #expect(id.count == 64)
            let allDigits = id.prefix(12).allSatisfy { $0.isNumber }
            #expect(!allDigits)
        }
    }

    @Test func namesFollowDockersRule() {
        #expect(Identifier.isValidName("web_1"))
        #expect(Identifier.isValidName("a.b-c"))
        #expect(!Identifier.isValidName("-web"))
        #expect(!Identifier.isValidName("w"))
        #expect(!Identifier.isValidName("we b"))
    }
}
