import Foundation

/// A kernel's `major.minor` (6.18 of "6.18.44-fc-v1272"), what seccomp rules compare against: the patch level and
/// distribution suffixes never matter to which syscalls a kernel has.
public struct KernelVersion: Sendable, Equatable, Comparable, Codable, CustomStringConvertible {
    public var major: UInt64
    public var minor: UInt64

    public init(_ major: UInt64, _ minor: UInt64) {
        self.major = major
        self.minor = minor
    }

    /// Reads the leading `major.minor` of a release string (`uname -r`); nil when it has none.
    public init?(release: String) {
        let parts = release.split(separator: ".", maxSplits: 2)
        guard parts.count >= 2, let major = UInt64(parts[0]) else { return nil }
        guard let minor = UInt64(parts[1].prefix { $0.isNumber }) else { return nil }
        self.init(major, minor)
    }

    /// This host's kernel.
    public static func current() -> KernelVersion? {
        var name = utsname()
        guard uname(&name) == 0 else { return nil }
        let release = withUnsafeBytes(of: &name.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return KernelVersion(release: release)
    }

    public static func < (lhs: KernelVersion, rhs: KernelVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    public var description: String { "\(major).\(minor)" }

    /// Profiles write it as the string "4.8"; each part fits a byte and 0.0 is refused, as Docker reads it.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let text = try? container.decode(String.self) else {
            throw ParseError("invalid kernel version: expected \"<kernel>.<major>\"")
        }
        let raw = "\"\(text)\""
        let parts = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw ParseError("invalid kernel version: \(raw), expected \"<kernel>.<major>\"")
        }
        guard let major = UInt8(parts[0]), let minor = UInt8(parts[1]) else {
            throw ParseError("invalid kernel version: \(raw), expected \"<kernel>.<major>\"")
        }
        guard major != 0 || minor != 0 else {
            throw ParseError("invalid kernel version: \(raw), expected \"<kernel>.<major>\": version cannot be 0.0")
        }
        self.init(UInt64(major), UInt64(minor))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    struct ParseError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }
}
