import Crypto
import FoundationEssentials

/// A content digest as OCI writes it: `sha256:<64 lowercase hex>`. Only sha256 is accepted, as in Docker.
public struct Digest: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let hex: String

    public init(hex: String) throws {
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw ShoalError.invalidArgument("invalid digest hex: \(hex)")
        }
        self.hex = hex
    }

    /// Parses `sha256:<hex>`.
    public init(parsing string: String) throws {
        guard string.hasPrefix("sha256:") else {
            throw ShoalError.invalidArgument("unsupported digest algorithm: \(string)")
        }
        try self.init(hex: String(string.dropFirst(7)))
    }

    public static func sha256<D: DataProtocol>(of data: D) -> Digest {
        // The hex of a SHA256 output is well formed by construction.
        try! Digest(hex: SHA256.hash(data: data).hexString)
    }

    public var description: String { "sha256:" + hex }
    /// The 12-character form `docker images` prints.
    public var shortHex: String { String(hex.prefix(12)) }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.hex < rhs.hex }
}

/// Incremental sha256 for streams (layers are hashed while they are written, never read twice).
public struct DigestHasher: Sendable {
    private var hasher = SHA256()
    public init() {}
    public mutating func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }
    public mutating func update<D: DataProtocol>(_ data: D) { hasher.update(data: data) }
    public func finalize() -> Digest { try! Digest(hex: hasher.finalize().hexString) }
}

extension Sequence where Element == UInt8 {
    public var hexString: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
