/// An IPv4 address as its 32-bit value; parses and prints dotted-quad form.
import ShoalCore

public struct IPv4Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The address in host byte order: 172.17.0.2 is 0xAC110002.
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad form strictly, as Go's netip does (which Docker uses): exactly four decimal fields of
    /// 0–255, no leading zeros (so "010.0.0.1" is not silently octal or decimal), no spaces.
    public init(parsing text: String) throws(ShoalError) {
        guard let value = IPv4Address.parseValue(Substring(text)) else { throw IPAMError.invalidIP(text) }
        self.value = value
    }

    static func parseValue(_ text: Substring) -> UInt32? {
        var result: UInt32 = 0
        var fields = 0
        var field: UInt32 = 0
        var digits = 0
        var leadingZero = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if leadingZero { return nil }
                if digits == 0 && byte == UInt8(ascii: "0") { leadingZero = true }
                field = field * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                if field > 255 { return nil }
            case UInt8(ascii: "."):
                guard digits > 0, fields < 3 else { return nil }
                result = result << 8 | field
                fields += 1
                field = 0
                digits = 0
                leadingZero = false
            default:
                return nil
            }
        }
        guard digits > 0, fields == 3 else { return nil }
        return result << 8 | field
    }

    public var octets: [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }

    public var description: String { octets.map(String.init).joined(separator: ".") }

    /// 0.0.0.0, the "any address" a port binding uses to mean every IPv4 address of the host.
    public static let any = IPv4Address(0)

    public var isUnspecified: Bool { value == 0 }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }
}

/// Encoded as its dotted-quad string, the form Docker's JSON and our persisted state use.
extension IPv4Address: TextCodable {}
