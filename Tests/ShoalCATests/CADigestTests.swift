import Crypto
import Testing
@testable import ShoalCA

@Suite struct CADigestTests {
    @Test func hashesBytesWithSHA256() {
        // python3: hashlib.sha256(b'abc')
        let digest = CADigest(of: Array("abc".utf8))
        #expect(digest.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(digest.description == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(digest.base36 == "4nb7oofka9ml8nasnokxxc1unhmtpr1wxsuwhpd9km3vt5as31")
        #expect(CADigest(of: []).base36 == "5oaq0bjhj6un82wg98mgigso5q7qlhc63je4gw7ivixqqhkd3p")
    }

    @Test func parsesHexWithOrWithoutPrefix() throws {
        let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        #expect(try CADigest(hex: hex) == CADigest(of: Array("abc".utf8)))
        #expect(try CADigest(hex: "sha256:" + hex.uppercased()) == CADigest(of: Array("abc".utf8)))
        #expect(caError { _ = try CADigest(hex: "abc") }?.code == .invalidArgument)
        #expect(caError { _ = try CADigest(hex: String(repeating: "g", count: 64)) }?.code == .invalidArgument)
    }
}
