/// Big-endian unsigned integers of any byte width ⇄ lowercase base 36, as Go's `big.Int.Text(36)` and
/// `SetString(_, 36)` do (join tokens and swarm IDs are written that way). Schoolbook arithmetic: the numbers
/// are at most 32 bytes.
enum Base36 {
    static let alphabet: [UInt8] = Array("0123456789abcdefghijklmnopqrstuvwxyz".utf8)

    /// `bytes` as a base-36 number, left-padded with "0" to `width` characters (never truncated).
    static func encode(_ bytes: [UInt8], width: Int = 0) -> String {
        var number = Array(bytes.drop(while: { $0 == 0 }))
        var digits: [UInt8] = []
        while !number.isEmpty {
            var remainder = 0
            var quotient: [UInt8] = []
            quotient.reserveCapacity(number.count)
            for byte in number {
                let value = remainder << 8 | Int(byte)
                let digit = value / 36
                remainder = value % 36
                if !(quotient.isEmpty && digit == 0) { quotient.append(UInt8(digit)) }
            }
            digits.append(alphabet[remainder])
            number = quotient
        }
        if digits.count < width { digits.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width - digits.count)) }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }

    enum DecodeFailure: Error, Equatable {
        /// A character outside 0-9, a-z.
        case invalidCharacter
        /// The number does not fit in the requested width.
        case overflow
    }

    /// The base-36 number `text` (lowercase digits only) as `byteCount` big-endian bytes.
    static func decode(_ text: some StringProtocol, byteCount: Int) throws(DecodeFailure) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: byteCount)
        for character in text.utf8 {
            let digit: Int
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(character - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): digit = Int(character - UInt8(ascii: "a")) + 10
            default: throw .invalidCharacter
            }
            var carry = digit
            for index in result.indices.reversed() {
                let value = Int(result[index]) * 36 + carry
                result[index] = UInt8(value & 0xff)
                carry = value >> 8
            }
            if carry != 0 { throw .overflow }
        }
        return result
    }

    /// True when every character is a lowercase base-36 digit.
    static func isBase36(_ text: some StringProtocol) -> Bool {
        text.utf8.allSatisfy { alphabet.contains($0) }
    }
}
