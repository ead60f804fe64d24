import Foundation
import ShoalCA
import ShoalCore
import Testing

/// The unlock key's text form (swarmkit's `SWMKEY-1-` + unpadded standard base64) and the sealing of key material
/// at rest with a key derived from it.
@Suite struct UnlockKeyTests {
    @Test func textIsSwarmkitsFormAndParsesBack() throws {
        let key = UnlockKey(bytes: Array(0..<32))
        #expect(key.text == "SWMKEY-1-AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")
        #expect(try UnlockKey(text: key.text) == key)
        // The standard alphabet (+ and /), not the URL one.
        let symbols = UnlockKey(bytes: Array([UInt8]([0xfb, 0xff, 0xbf]).repeated(11).prefix(32)))
        #expect(symbols.text == "SWMKEY-1-+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/+/8")
        #expect(try UnlockKey(text: symbols.text) == symbols)
        let fresh = UnlockKey.generate()
        #expect(fresh.bytes.count == 32 && fresh != UnlockKey.generate())
        #expect(fresh.text.count == "SWMKEY-1-".count + 43)
    }

    @Test func malformedTextIsAnInvalidKeyString() throws {
        for text in ["", "SWMKEY-1", "SWMTKN-1-AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
                     "swmkey-1-AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
                     "SWMKEY-1-AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "SWMKEY-1-A", "SWMKEY-1-*abc"] {
            #expect(throws: ShoalError.self, "\(text)") { try UnlockKey(text: text) }
            do {
                _ = try UnlockKey(text: text)
            } catch let error as ShoalError {
                #expect(error.code == .invalidArgument && error.message == "invalid key string", "\(text)")
            } catch {
                Issue.record("\(error)")
            }
        }
        // Another length parses (swarmkit checks only the encoding): it is a wrong key, found at unlock.
        #expect(try UnlockKey(text: "SWMKEY-1-AAEC").bytes == [0, 1, 2])
    }

    @Test func sealedMaterialOpensWithItsKeyAndPurposeOnly() throws {
        let key = UnlockKey.generate()
        let secret = Array("-----BEGIN PRIVATE KEY-----\nMIG...\n-----END PRIVATE KEY-----\n".utf8)
        let sealed = try SealedKeyText.seal(secret, with: key, purpose: "node.key")
        #expect(SealedKeyText.isSealed(sealed))
        #expect(!sealed.contains("PRIVATE KEY") && !sealed.contains("\n"))
        #expect(try SealedKeyText.open(sealed, with: key, purpose: "node.key") == secret)
        #expect(try SealedKeyText.open(sealed + "\n", with: key, purpose: "node.key") == secret)
        // Fresh salt and nonce each time.
        #expect(try SealedKeyText.seal(secret, with: key, purpose: "node.key") != sealed)

        func refusal(_ text: String, _ key: UnlockKey, _ purpose: String) -> ShoalError.Code? {
            do {
                _ = try SealedKeyText.open(text, with: key, purpose: purpose)
                return nil
            } catch {
                return (error as? ShoalError)?.code
            }
        }
        #expect(refusal(sealed, UnlockKey.generate(), "node.key") == .permissionDenied)
        #expect(refusal(sealed, key, "data.key") == .permissionDenied)
        var bytes = Array(sealed.utf8)
        bytes[bytes.count - 5] = bytes[bytes.count - 5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(refusal(String(decoding: bytes, as: UTF8.self), key, "node.key") == .permissionDenied)
        #expect(refusal("-----BEGIN PRIVATE KEY-----", key, "node.key") == .invalidArgument)
        #expect(refusal("shoal-sealed-1:AAAA", key, "node.key") == .invalidArgument)
    }
}

private extension Array {
    func repeated(_ times: Int) -> [Element] { (0..<times).flatMap { _ in self } }
}
