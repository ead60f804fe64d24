/// An IPv6 address: parsed and printed (RFC 4291 text forms in, RFC 5952 canonical form out) so that IPv6 input can
/// be recognised, carried, allocated (`IPv6AddressAllocator`) or refused clearly.
import ShoalCore

public struct IPv6Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 128-bit value as two big-endian halves: `high` holds the first 64 bits.
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses "fd00::1", "2001:db8:0:0:0:0:0:1", "::ffff:192.0.2.1". Zones ("%eth0") are refused.
    public init(parsing text: String) throws(ShoalError) {
        guard let groups = IPv6Address.parseGroups(text) else { throw IPAMError.invalidIP(text) }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, group) in groups.enumerated() {
            if index < 4 { high = high << 16 | UInt64(group) } else { low = low << 16 | UInt64(group) }
        }
        self.init(high: high, low: low)
    }

    private static func parseGroups(_ text: String) -> [UInt16]? {
        guard !text.isEmpty, !text.contains("%") else { return nil }
        let halves = text.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String, allowIPv4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            var result: [UInt16] = []
            for (index, field) in fields.enumerated() {
                if allowIPv4Tail, index == fields.count - 1, field.contains(".") {
                    guard let v4 = IPv4Address.parseValue(field) else { return nil }
                    result += [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
                } else {
                    guard (1...4).contains(field.utf8.count), let value = UInt16(field, radix: 16) else { return nil }
                    result.append(value)
                }
            }
            return result
        }
        if halves.count == 1 {
            guard let all = groups(halves[0], allowIPv4Tail: true), all.count == 8 else { return nil }
            return all
        }
        guard let head = groups(halves[0], allowIPv4Tail: false),
              let tail = groups(halves[1], allowIPv4Tail: true),
              head.count + tail.count <= 7 else { return nil }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }

    public var groups: [UInt16] {
        (0..<4).map { UInt16(truncatingIfNeeded: high >> (48 - 16 * UInt64($0))) }
            + (0..<4).map { UInt16(truncatingIfNeeded: low >> (48 - 16 * UInt64($0))) }
    }

    /// RFC 5952: IPv4-mapped addresses keep their dotted tail; otherwise lowercase hex, no leading zeros, the longest run (≥ 2) of zero groups — the first on a tie —
    /// compressed to "::".
    public var description: String {
        if high == 0, low >> 32 == 0xFFFF {
            return "::ffff:\(IPv4Address(UInt32(truncatingIfNeeded: low)))"
        }
        let groups = self.groups
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            var end = index
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - index > bestLength { bestStart = index; bestLength = end - index }
            index = end
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }

    /// "::", the IPv6 "any address" of a port binding.
    public static let any = IPv6Address(high: 0, low: 0)

    public var isUnspecified: Bool { high == 0 && low == 0 }

    /// The 16 bytes in network order (what netlink and DNS carry).
    public var octets: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
    }

    /// The address `n` after this one (wrapping at the end of the space).
    public func advanced(by n: UInt64) -> IPv6Address {
        let (sum, carry) = low.addingReportingOverflow(n)
        return IPv6Address(high: carry ? high &+ 1 : high, low: sum)
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool { (lhs.high, lhs.low) < (rhs.high, rhs.low) }
}

extension IPv6Address: TextCodable {}
