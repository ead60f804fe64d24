extension JoinToken {
    /// Why a string is not a join token. It is the `cause` of the `invalid join token` error, so users see
    /// Docker's message followed by what exactly is wrong.
    public enum ParseFailure: Error, Equatable, CustomStringConvertible {
        case wrongPrefix
        case unsupportedVersion(String)
        case wrongPartCount(Int)
        case invalidFIPSFlag(String)
        case digestLength(Int)
        case secretLength(Int)
        case digestCharacters
        case secretCharacters
        case digestOutOfRange
        case secretOutOfRange

        public var description: String {
            switch self {
            case .wrongPrefix: "it must start with \"SWMTKN-\""
            case .unsupportedVersion(let version): "unsupported version \"\(version)\" (expected 1 or 2)"
            case .wrongPartCount(let count): "expected SWMTKN-1-<CA digest>-<secret>, found \(count) dash-separated parts"
            case .invalidFIPSFlag(let flag): "version 2 FIPS flag must be 0 or 1, not \"\(flag)\""
            case .digestLength(let length): "the CA digest must be \(CADigest.base36Length) characters, not \(length)"
            case .secretLength(let length): "the secret must be \(JoinToken.secretLength) characters, not \(length)"
            case .digestCharacters: "the CA digest may contain only 0-9 and a-z"
            case .secretCharacters: "the secret may contain only 0-9 and a-z"
            case .digestOutOfRange: "the CA digest is larger than 256 bits"
            case .secretOutOfRange: "the secret is larger than 128 bits"
            }
        }
    }

    /// Parses a token as `docker swarm join --token` receives it (surrounding whitespace is ignored).
    /// Throws `CAError` "invalid join token" with a `ParseFailure` as its cause.
    public static func parse(_ token: String) throws -> JoinToken {
        do {
            return try parseParts(token.trimmingASCIIWhitespace())
        } catch {
            throw CAError.invalidArgument("invalid join token", cause: error)
        }
    }

    private static func parseParts(_ token: Substring) throws(ParseFailure) -> JoinToken {
        let parts = token.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == prefix else { throw .wrongPrefix }
        let version: Int
        var fips = false
        switch parts[1] {
        case "1":
            guard parts.count == 4 else { throw .wrongPartCount(parts.count) }
            version = 1
        case "2":
            guard parts.count == 5 else { throw .wrongPartCount(parts.count) }
            guard parts[2] == "0" || parts[2] == "1" else { throw .invalidFIPSFlag(String(parts[2])) }
            version = 2
            fips = parts[2] == "1"
        default:
            throw .unsupportedVersion(String(parts[1]))
        }
        let digestText = parts[parts.count - 2]
        let secret = parts[parts.count - 1]
        guard digestText.utf8.count == CADigest.base36Length else { throw .digestLength(digestText.utf8.count) }
        guard secret.utf8.count == secretLength else { throw .secretLength(secret.utf8.count) }

        guard Base36.isBase36(digestText) else { throw .digestCharacters }
        guard Base36.isBase36(secret) else { throw .secretCharacters }
        // Characters are checked above, so decoding can only overflow.
        guard let digestBytes = try? Base36.decode(digestText, byteCount: 32) else { throw .digestOutOfRange }
        guard (try? Base36.decode(secret, byteCount: secretByteCount)) != nil else { throw .secretOutOfRange }
        return JoinToken(version: version, fips: fips, rootDigest: CADigest(bytes: digestBytes), secret: String(secret))
    }
}

extension String {
    func trimmingASCIIWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return self[start...end]
    }
}
