/// Swarm-style random identifiers: 25 lowercase base-36 characters, used for node IDs and cluster IDs
/// (SwarmKit's `identity.NewID`).
public enum RandomID {
    /// Length of every ID: base 36 needs 25 digits for 128 bits.
    public static let length = 25

    /// A fresh ID from the system's cryptographic generator.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    /// A fresh ID from `generator` (tests pass a seeded one).
    ///
    /// Like SwarmKit: 17 random bytes with the top bit set always give a 27-digit base-36 number; dropping its
    /// first digit (which that top bit fixes) and keeping the next 25 yields a fixed-length ID with ~128 bits of
    /// entropy and an evenly spread first character, with no padding.
    public static func generate(using generator: inout some RandomNumberGenerator) -> String {
        var bytes = randomBytes(count: 17, using: &generator)
        bytes[0] |= 0x80
        return fromEntropy(bytes)
    }

    /// The ID for 17 bytes of entropy whose top bit is set; split out so tests can pin vectors.
    static func fromEntropy(_ bytes: [UInt8]) -> String {
        let digits = Array(Base36.encode(bytes).utf8)
        return String(decoding: digits[1...length], as: UTF8.self)
    }

    /// True for strings that look like a swarm ID (25 lowercase base-36 characters).
    public static func isValid(_ id: String) -> Bool {
        id.utf8.count == length && Base36.isBase36(id)
    }
}

func randomBytes(count: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + 8)
    while bytes.count < count {
        withUnsafeBytes(of: generator.next().bigEndian) { bytes.append(contentsOf: $0) }
    }
    return Array(bytes.prefix(count))
}
