import Crypto

/// The SHA-256 fingerprint of a root CA certificate: what a join token pins so a joining node can tell the real
/// cluster CA from an impostor before it trusts anything.
///
/// Shoal hashes the certificate's DER bytes. SwarmKit hashes the PEM bundle it was handed, which depends on
/// line endings and comments; DER is the one canonical encoding, so the same certificate always has the same
/// digest. The token format is unchanged.
public struct CADigest: Hashable, Sendable, CustomStringConvertible {
    /// The 32 digest bytes.
    public let bytes: [UInt8]

    /// Length in base 36 of the largest 256-bit number, ceil(log36(2^256)); join tokens pad to it.
    static let base36Length = 50

    /// The digest of `der` (a certificate's DER encoding).
    public init(of der: some Sequence<UInt8>) {
        bytes = Array(SHA256.hash(data: Array(der)))
    }

    /// A digest from its hex form, with or without the `sha256:` prefix Docker prints.
    public init(hex: String) throws {
        let text = hex.hasPrefix("sha256:") ? hex.dropFirst(7) : Substring(hex)
        guard text.utf8.count == 64, let bytes = Self.bytes(fromHex: text) else {
            throw CAError.invalidArgument("invalid CA digest \"\(hex)\": expected 64 hex characters")
        }
        self.bytes = bytes
    }

    init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "a SHA-256 digest has 32 bytes")
        self.bytes = bytes
    }

    /// Lowercase hex, as in Docker's "remote CA does not match fingerprint. Expected: <hex>".
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The digest as a base-36 number zero-padded to 50 characters: the third field of a join token.
    public var base36: String { Base36.encode(bytes, width: Self.base36Length) }

    public var description: String { "sha256:\(hex)" }

    private static func bytes(fromHex text: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var high: UInt8?
        for character in text.utf8 {
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = character - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return out
    }
}
