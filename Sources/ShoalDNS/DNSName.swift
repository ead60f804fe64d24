/// A domain name as a sequence of labels (RFC 1035 §3.1). Labels are bytes, not text: comparison and hashing are
/// ASCII case-insensitive (RFC 4343) and every other byte compares exactly. The limits are enforced at construction,
/// so a value always fits on the wire: labels of 1…63 bytes and at most 255 bytes in uncompressed wire form
/// (length bytes and the final root byte included).
public struct DNSName: Sendable, Hashable, CustomStringConvertible {
    public static let maxLabelLength = 63
    public static let maxWireLength = 255

    /// Uncompressed wire form without the terminating root byte: `len label len label …`.
    var wire: [UInt8]

    public static let root = DNSName(uncheckedWire: [])

    init(uncheckedWire: [UInt8]) { self.wire = uncheckedWire }

    public init(labels: [[UInt8]]) throws(DNSError) {
        var wire: [UInt8] = []
        wire.reserveCapacity(labels.reduce(0) { $0 + $1.count + 1 })
        for label in labels {
            guard !label.isEmpty else { throw .emptyLabel }
            guard label.count <= Self.maxLabelLength else { throw .labelTooLong }
            wire.append(UInt8(label.count))
            wire.append(contentsOf: label)
        }
        guard wire.count + 1 <= Self.maxWireLength else { throw .nameTooLong }
        self.wire = wire
    }

    /// Parses presentation form: dot-separated labels, with or without the trailing dot ("web.app" and "web.app."
    /// are the same name). "" and "." are the root. Escapes (`\.`, `\DDD`) are not supported: names the engine
    /// feeds are container names, aliases and network names, which cannot contain dots inside a label.
    public init(_ text: String) throws(DNSError) {
        var labels: [[UInt8]] = []
        var current: [UInt8] = []
        let bytes = Array(text.utf8)
        if bytes == [UInt8(ascii: ".")] || bytes.isEmpty {
            self = .root
            return
        }
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                // Only the last character may end a name with an empty label (the trailing dot).
                guard !current.isEmpty else { throw .emptyLabel }
                labels.append(current)
                current = []
            } else {
                current.append(byte)
            }
        }
        if !current.isEmpty { labels.append(current) }
        try self.init(labels: labels)
    }

    public var labels: [[UInt8]] {
        var result: [[UInt8]] = []
        var index = 0
        while index < wire.count {
            let length = Int(wire[index])
            result.append(Array(wire[(index + 1)..<(index + 1 + length)]))
            index += 1 + length
        }
        return result
    }

    public var labelCount: Int {
        var count = 0
        var index = 0
        while index < wire.count {
            index += 1 + Int(wire[index])
            count += 1
        }
        return count
    }

    public var isRoot: Bool { wire.isEmpty }

    /// Uncompressed wire length including the root byte.
    public var wireLength: Int { wire.count + 1 }

    /// The name with ASCII letters folded to lower case.
    public func lowercased() -> DNSName { DNSName(uncheckedWire: wire.map(Self.fold)) }

    /// True when `self` equals `domain` or ends with all of its labels ("a.b.c" is in "b.c" and in "a.b.c").
    public func isSubdomain(of domain: DNSName) -> Bool {
        guard domain.wire.count <= wire.count else { return false }
        // Walk label boundaries of self until the remaining suffix has the domain's length.
        var index = 0
        while wire.count - index > domain.wire.count {
            index += 1 + Int(wire[index])
        }
        guard wire.count - index == domain.wire.count else { return false }
        return Self.equalFolded(wire[index...], domain.wire[...])
    }

    /// The name without its first `count` labels (the parent domain for `count == 1`).
    public func droppingFirst(_ count: Int = 1) -> DNSName {
        var index = 0
        var dropped = 0
        while dropped < count, index < wire.count {
            index += 1 + Int(wire[index])
            dropped += 1
        }
        return DNSName(uncheckedWire: Array(wire[index...]))
    }

    /// The name with the labels of `suffix` appended ("web" + "app" = "web.app").
    public func appending(_ suffix: DNSName) throws(DNSError) -> DNSName {
        guard wire.count + suffix.wire.count + 1 <= Self.maxWireLength else { throw .nameTooLong }
        return DNSName(uncheckedWire: wire + suffix.wire)
    }

    /// Presentation form with a trailing dot ("web.app."); the root is ".". Bytes outside printable ASCII, dots and
    /// backslashes inside labels are written as `\DDD` (RFC 1035 §5.1) so the text is unambiguous.
    public var description: String {
        if wire.isEmpty { return "." }
        var text = ""
        text.reserveCapacity(wire.count + 1)
        var index = 0
        while index < wire.count {
            let length = Int(wire[index])
            for byte in wire[(index + 1)..<(index + 1 + length)] {
                if byte > 0x20, byte < 0x7F, byte != UInt8(ascii: "."), byte != UInt8(ascii: "\\") {
                    text.unicodeScalars.append(Unicode.Scalar(byte))
                } else {
                    let digits = String(byte)
                    text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
                }
            }
            text += "."
            index += 1 + length
        }
        return text
    }

    /// Presentation form without the trailing dot ("web.app"); the root is "".
    public var textWithoutTrailingDot: String {
        let text = description
        return text == "." ? "" : String(text.dropLast())
    }

    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        lhs.wire.count == rhs.wire.count && equalFolded(lhs.wire[...], rhs.wire[...])
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(wire.count)
        for byte in wire { hasher.combine(Self.fold(byte)) }
    }

    @inline(__always)
    static func fold(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    static func equalFolded(_ lhs: ArraySlice<UInt8>, _ rhs: ArraySlice<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return zip(lhs, rhs).allSatisfy { fold($0) == fold($1) }
    }
}
