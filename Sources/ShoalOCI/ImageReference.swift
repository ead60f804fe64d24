import ShoalCore

/// An image reference parsed exactly as Docker's distribution/reference `ParseNormalizedNamed` does:
/// `busybox` → `docker.io/library/busybox`, `localhost:5000/x/y:tag`, `name@sha256:…`.
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    public static let defaultDomain = "docker.io"
    public static let defaultTag = "latest"

    /// Registry host, with port if any (`docker.io`, `localhost:5000`).
    public let domain: String
    /// Repository path inside the registry (`library/busybox`).
    public let path: String
    public let tag: String?
    public let digest: Digest?

    public init(domain: String, path: String, tag: String? = nil, digest: Digest? = nil) {
        self.domain = domain
        self.path = path
        self.tag = tag
        self.digest = digest
    }

    /// Fully qualified repository name: `docker.io/library/busybox`.
    public var name: String { domain + "/" + path }

    /// The repository as `docker images` shows it: `busybox`, `user/app`, `localhost:5000/x`.
    public var familiarName: String {
        guard domain == Self.defaultDomain else { return name }
        if path.hasPrefix("library/"), !path.dropFirst(8).contains("/") { return String(path.dropFirst(8)) }
        return path
    }

    /// `docker.io/library/busybox:latest`.
    public var description: String { name + suffix }

    /// `busybox:latest`, `localhost:5000/x:1`, `busybox@sha256:…`.
    public var familiarString: String { familiarName + suffix }

    private var suffix: String {
        var out = ""
        if let tag { out += ":" + tag }
        if let digest { out += "@" + digest.description }
        return out
    }

    /// Adds `:latest` when the reference has neither tag nor digest (Docker's `TagNameOnly`).
    public var withDefaultTag: ImageReference {
        tag == nil && digest == nil ? ImageReference(domain: domain, path: path, tag: Self.defaultTag) : self
    }

    /// The repository with only this tag.
    public func tagged(_ tag: String) -> ImageReference { ImageReference(domain: domain, path: path, tag: tag) }

    /// The repository with only this digest.
    public func digested(_ digest: Digest) -> ImageReference {
        ImageReference(domain: domain, path: path, digest: digest)
    }

    /// The repository alone, without tag or digest.
    public var repository: ImageReference { ImageReference(domain: domain, path: path) }

    public static let invalidFormat = "invalid reference format"

    /// Parses a reference the way the Docker CLI and daemon do, with Docker's error messages.
    public static func parse(_ string: String) throws -> ImageReference {
        if string.utf8.count == 64, string.utf8.allSatisfy(isHex) {
            throw ShoalError.invalidArgument(
                "invalid repository name (\(string)), cannot specify 64-byte hexadecimal strings")
        }
        // splitDockerDomain: the first component is a registry if it has '.' or ':', is "localhost", or has
        // upper-case letters (repository paths never do).
        var domain = defaultDomain
        var remainder = Substring(string)
        if let slash = string.firstIndex(of: "/") {
            let first = string[..<slash]
            if first.contains(".") || first.contains(":") || first == "localhost" || first.lowercased() != first {
                domain = String(first)
                remainder = string[string.index(after: slash)...]
            }
        }
        if domain == "index.docker.io" { domain = defaultDomain }
        if domain == defaultDomain, !remainder.contains("/") { remainder = "library/" + remainder }
        let remoteName = remainder.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]
        if remoteName.lowercased() != remoteName {
            throw ShoalError.invalidArgument("invalid reference format: repository name must be lowercase")
        }
        guard !string.isEmpty else { throw ShoalError.invalidArgument(invalidFormat) }
        return try parseQualified(domain: domain, remainder: String(remainder))
    }

    private static func parseQualified(domain: String, remainder: String) throws -> ImageReference {
        var namePart = Substring(remainder)
        var digest: Digest?
        if let at = remainder.firstIndex(of: "@") {
            let digestText = remainder[remainder.index(after: at)...]
            guard isDigestSyntax(digestText) else { throw ShoalError.invalidArgument(invalidFormat) }
            do {
                digest = try Digest(parsing: String(digestText))
            } catch {
                throw ShoalError.invalidArgument("unsupported digest algorithm")
            }
            namePart = remainder[..<at]
        }
        var tag: String?
        if let colon = namePart.lastIndex(of: ":") {
            let candidate = namePart[namePart.index(after: colon)...]
            guard isTag(candidate) else { throw ShoalError.invalidArgument(invalidFormat) }
            tag = String(candidate)
            namePart = namePart[..<colon]
        }
        guard isDomain(Substring(domain)) else { throw ShoalError.invalidArgument(invalidFormat) }
        let components = namePart.split(separator: "/", omittingEmptySubsequences: false)
        guard !components.isEmpty, components.allSatisfy(isPathComponent) else {
            throw ShoalError.invalidArgument(invalidFormat)
        }
        if domain.utf8.count + 1 + namePart.utf8.count > 255 {
            throw ShoalError.invalidArgument("repository name must not be more than 255 characters")
        }
        return ImageReference(domain: domain, path: String(namePart), tag: tag, digest: digest)
    }

    // MARK: - The grammar of distribution/reference, by hand

    private static func isHex(_ c: UInt8) -> Bool { (48...57).contains(c) || (97...102).contains(c) }
    private static func isLowerAlnum(_ c: UInt8) -> Bool { (48...57).contains(c) || (97...122).contains(c) }
    private static func isAlnum(_ c: UInt8) -> Bool { isLowerAlnum(c) || (65...90).contains(c) }
    private static func isWord(_ c: UInt8) -> Bool { isAlnum(c) || c == UInt8(ascii: "_") }

    /// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
    static func isPathComponent(_ s: Substring) -> Bool {
        let b = Array(s.utf8)
        guard let first = b.first, let last = b.last, isLowerAlnum(first), isLowerAlnum(last) else { return false }
        var i = 0
        while i < b.count {
            if isLowerAlnum(b[i]) {
                i += 1
                continue
            }
            // A separator run: ".", "_", "__" or one or more "-".
            var j = i
            while j < b.count, !isLowerAlnum(b[j]) { j += 1 }
            let sep = b[i..<j]
            let ok = sep.elementsEqual([UInt8(ascii: ".")]) || sep.elementsEqual([UInt8(ascii: "_")])
                || sep.elementsEqual([UInt8(ascii: "_"), UInt8(ascii: "_")]) || sep.allSatisfy { $0 == UInt8(ascii: "-") }
            guard ok else { return false }
            i = j
        }
        return true
    }

    /// `[\w][\w.-]{0,127}`
    static func isTag(_ s: Substring) -> Bool {
        let b = Array(s.utf8)
        guard let first = b.first, isWord(first), b.count <= 128 else { return false }
        return b.allSatisfy { isWord($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// `host[:port]`, host a dotted domain name, or an IPv6 address in brackets.
    static func isDomain(_ s: Substring) -> Bool {
        var host = s
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return false }
            let inside = s[s.index(after: s.startIndex)..<close]
            guard !inside.isEmpty, inside.utf8.allSatisfy({ isHex($0) || (65...70).contains($0) || $0 == UInt8(ascii: ":") })
            else { return false }
            let rest = s[s.index(after: close)...]
            return rest.isEmpty || isPort(rest)
        }
        if let colon = s.firstIndex(of: ":") {
            guard isPort(s[colon...]) else { return false }
            host = s[..<colon]
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            let b = Array(label.utf8)
            guard let first = b.first, let last = b.last, isAlnum(first), isAlnum(last) else { return false }
            return b.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") }
        }
    }

    private static func isPort(_ s: Substring) -> Bool {
        let digits = s.dropFirst()
        return s.first == ":" && !digits.isEmpty && digits.utf8.allSatisfy { (48...57).contains($0) }
    }

    /// `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`
    static func isDigestSyntax(_ s: Substring) -> Bool {
        guard let colon = s.firstIndex(of: ":") else { return false }
        let algorithm = s[..<colon]
        let hex = s[s.index(after: colon)...]
        guard hex.utf8.count >= 32, hex.utf8.allSatisfy({ isHex($0) || (65...70).contains($0) }) else { return false }
        let parts = algorithm.split(omittingEmptySubsequences: false) { "-_+.".contains($0) }
        return parts.allSatisfy { part in
            let b = Array(part.utf8)
            guard let first = b.first, (65...90).contains(first) || (97...122).contains(first) else { return false }
            return b.allSatisfy(isAlnum)
        }
    }
}
