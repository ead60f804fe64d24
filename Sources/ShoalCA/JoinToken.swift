/// A swarm join token in Docker's format, `SWMTKN-1-<CA digest>-<secret>` (SwarmKit `ca/config.go`):
/// the root CA certificate's SHA-256 as a base-36 number zero-padded to 50 characters, and a secret of 128
/// random bits as a base-36 number zero-padded to 25. The digest lets a joining node check the CA it is
/// handed before trusting it; the secret tells the manager which role (worker or manager) to grant.
///
/// `description` hides the secret so a token interpolated into a log line does not leak; `text` is the token.
/// `==` compares the secret in constant time.
public struct JoinToken: Sendable, Hashable, CustomStringConvertible {
    public static let prefix = "SWMTKN"
    /// ceil(log36(2^128)): the base-36 length of a 16-byte secret.
    static let secretLength = 25
    static let secretByteCount = 16

    /// 1 for tokens Shoal makes; 2 is SwarmKit's FIPS variant (`SWMTKN-2-<0|1>-…`), accepted by `parse`.
    public let version: Int
    /// Only in version 2: the cluster demands FIPS mode.
    public let fips: Bool
    public let rootDigest: CADigest
    /// The 25 base-36 characters of the secret.
    public let secret: String

    /// A new version-1 token for the CA with `rootDigest`, from the system's cryptographic generator.
    public static func generate(rootDigest: CADigest) -> JoinToken {
        var generator = SystemRandomNumberGenerator()
        return generate(rootDigest: rootDigest, using: &generator)
    }

    /// A new version-1 token whose 128 secret bits come from `generator`.
    public static func generate(rootDigest: CADigest, using generator: inout some RandomNumberGenerator) -> JoinToken {
        let bytes = randomBytes(count: secretByteCount, using: &generator)
        return JoinToken(version: 1, fips: false, rootDigest: rootDigest, secret: Base36.encode(bytes, width: secretLength))
    }

    init(version: Int, fips: Bool, rootDigest: CADigest, secret: String) {
        self.version = version
        self.fips = fips
        self.rootDigest = rootDigest
        self.secret = secret
    }

    /// The token as users pass it to `docker swarm join --token`.
    public var text: String {
        let head = version == 2 ? "\(Self.prefix)-2-\(fips ? 1 : 0)" : "\(Self.prefix)-1"
        return "\(head)-\(rootDigest.base36)-\(secret)"
    }

    public var description: String {
        let head = version == 2 ? "\(Self.prefix)-2-\(fips ? 1 : 0)" : "\(Self.prefix)-1"
        return "\(head)-\(rootDigest.base36)-<secret>"
    }

    /// Joining side: true when `rootCA` is the CA this token was made for.
    public func matches(rootCA: RootCA) -> Bool { rootDigest == rootCA.digest }

    /// Joining side: throws Docker's error when the CA a manager handed over is not the one the token pins.
    public func verifyRemoteCA(_ rootCA: RootCA) throws {
        guard matches(rootCA: rootCA) else {
            throw CAError(.permissionDenied, "remote CA does not match fingerprint. Expected: \(rootDigest.hex)")
        }
    }

    /// Manager side: true when `presented` is this token (same CA digest and secret). The secret is compared in
    /// constant time so response timing does not reveal how much of a guess was right.
    public func accepts(_ presented: JoinToken) -> Bool {
        // Both comparisons run before combining: the secret check never depends on the (public) digest.
        let secretMatches = Self.constantTimeEquals(Array(secret.utf8), Array(presented.secret.utf8))
        let digestMatches = rootDigest == presented.rootDigest
        return secretMatches && digestMatches
    }

    public static func == (lhs: JoinToken, rhs: JoinToken) -> Bool {
        lhs.version == rhs.version && lhs.fips == rhs.fips && lhs.accepts(rhs)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(rootDigest)
        hasher.combine(secret)
    }

    /// Equal lengths compare every byte; the length itself is public (always 25 for a parsed token).
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
