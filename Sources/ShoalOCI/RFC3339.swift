import Foundation
import ShoalCore

/// RFC 3339 times as Docker writes them in image configs (`2024-01-02T03:04:05.123456789Z`, any offset).
/// Hand-parsed: Foundation's ISO 8601 formatter drops digits past milliseconds and rejects some offsets.
public enum RFC3339 {
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= b.count else { return nil }
            var value = 0
            for i in range {
                guard (48...57).contains(b[i]) else { return nil }
                value = value * 10 + Int(b[i] - 48)
            }
            return value
        }
        guard b.count >= 20, let year = number(0..<4), b[4] == 45, let month = number(5..<7), b[7] == 45,
              let day = number(8..<10), b[10] == 84 || b[10] == 116 || b[10] == 32, let hour = number(11..<13),
              b[13] == 58, let minute = number(14..<16), b[16] == 58, let second = number(17..<19)
        else { return nil }
        var i = 19
        var fraction = 0.0
        if i < b.count, b[i] == 46 {
            i += 1
            var scale = 0.1
            while i < b.count, (48...57).contains(b[i]) {
                fraction += Double(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45, let oh = number(i + 1..<i + 3), i + 3 < b.count, b[i + 3] == 58,
                  let om = number(i + 4..<i + 6) {
            offset = (oh * 60 + om) * 60 * (b[i] == 43 ? 1 : -1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = CivilTime.days(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// `2024-01-02T03:04:05.123456789Z` (UTC, nanoseconds trimmed of trailing zeros, as Go's RFC3339Nano).
    public static func format(_ date: Date) -> String { CivilTime.rfc3339(date) }
}
