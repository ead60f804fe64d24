import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The swarm's manager unlock key (`docker swarm init --autolock`, `docker swarm unlock-key`): 32 random bytes
/// shown as swarmkit shows them, `SWMKEY-1-` and the bytes in unpadded standard base64. With autolock on, every
/// manager's key material at rest is sealed with a key derived from it (`SealedKeyText`), and a restarted manager
/// stays locked until `docker swarm unlock` hands it the key.
public struct UnlockKey: Sendable, Equatable {
    public static let prefix = "SWMKEY-1-"
    static let size = 32

    public let bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public static func generate() -> UnlockKey {
        UnlockKey(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// Parses the text form. As swarmkit's ParseHumanReadableKey, only the prefix and the base64 are checked (a
    /// key of another length is a wrong key, found when it fails to open the material), with its message.
    public init(text: String) throws {
        guard text.hasPrefix(Self.prefix) else { throw Self.invalid }
        let encoded = text.dropFirst(Self.prefix.count)
        // Go's RawStdEncoding: no padding allowed; Foundation wants it.
        guard !encoded.contains("="), encoded.count % 4 != 1 else { throw Self.invalid }
        let padded = String(encoded) + String(repeating: "=", count: (4 - encoded.count % 4) % 4)
        guard let data = Data(base64Encoded: padded) else { throw Self.invalid }
        bytes = Array(data)
    }

    public var text: String {
        var encoded = Data(bytes).base64EncodedString()
        while encoded.hasSuffix("=") { encoded.removeLast() }
        return Self.prefix + encoded
    }

    private static var invalid: CAError { CAError.invalidArgument("invalid key string") }
}

/// Key material sealed for storage at rest with a key-encryption key (KEK) derived from an unlock key:
/// HKDF-SHA256 over the unlock key with a fresh random salt per sealing, then AES-256-GCM with a fresh nonce and
/// the material's purpose (e.g. "node.key") as associated data, so one sealed file cannot stand in for another.
/// The text form is one line: `shoal-sealed-1:` and base64 of salt ‖ nonce ‖ ciphertext ‖ tag.
public enum SealedKeyText {
    static let prefix = "shoal-sealed-1:"
    static let saltSize = 16
    static let info = Array("shoal manager key-encryption key".utf8)

    public static func seal(_ plaintext: [UInt8], with key: UnlockKey, purpose: String) throws -> String {
        let salt = SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) }
        do {
            let box = try AES.GCM.seal(plaintext, using: kek(key, salt: salt), authenticating: Array(purpose.utf8))
            guard let combined = box.combined else { throw CAError.internalError("AES-GCM gave no combined form") }
            return prefix + Data(salt + Array(combined)).base64EncodedString()
        } catch let error as CAError {
            throw error
        } catch {
            throw CAError.internalError("cannot seal \(purpose)", cause: error)
        }
    }

    /// The plaintext sealed in `text` for `purpose`. A wrong key (or a changed text) fails with permissionDenied
    /// ("invalid key"); a text that is not sealed material at all with invalidArgument.
    public static func open(_ text: String, with key: UnlockKey, purpose: String) throws -> [UInt8] {
        let trimmed = text.filter { !$0.isWhitespace }
        guard trimmed.hasPrefix(prefix), let data = Data(base64Encoded: String(trimmed.dropFirst(prefix.count))),
              data.count > saltSize else {
            throw CAError.invalidArgument("\(purpose) does not hold sealed key material")
        }
        let bytes = Array(data)
        let salt = Array(bytes[..<saltSize])
        do {
            let box = try AES.GCM.SealedBox(combined: bytes[saltSize...])
            return Array(try AES.GCM.open(box, using: kek(key, salt: salt), authenticating: Array(purpose.utf8)))
        } catch {
            throw CAError.permissionDenied("invalid key: \(purpose) does not open with this unlock key")
        }
    }

    /// True when `text` is sealed material (rather than, say, a PEM key in clear).
    public static func isSealed(_ text: String) -> Bool { text.hasPrefix(prefix) }

    private static func kek(_ key: UnlockKey, salt: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: key.bytes), salt: salt, info: info,
                               outputByteCount: 32)
    }
}
