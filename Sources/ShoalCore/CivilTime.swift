import Foundation

/// UTC civil dates and RFC 3339 text, by hand: Foundation's calendar formats slowly (0.2 ms a date with
/// `String(format:)`), switches to the Julian calendar before 1582 where Go stays proleptic Gregorian, and its ISO
/// 8601 formatter drops digits past milliseconds. Day numbers count from 1970-01-01 (H. Hinnant's algorithms).
public enum CivilTime {
    /// The day number of a proleptic Gregorian date.
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day number.
    public static func date(days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468  // from 0000-03-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// `date` in RFC 3339 (see below), its nanoseconds rounded, up into the next second when they reach it.
    public static func rfc3339(_ date: Date, fixed: Bool = false) -> String {
        let interval = date.timeIntervalSince1970
        let whole = interval.rounded(.down)
        let nanoseconds = Int(((interval - whole) * 1_000_000_000).rounded())
        return nanoseconds >= 1_000_000_000
            ? rfc3339(seconds: Int(whole) + 1, nanoseconds: nanoseconds - 1_000_000_000, fixed: fixed)
            : rfc3339(seconds: Int(whole), nanoseconds: nanoseconds, fixed: fixed)
    }

    /// `2024-01-02T03:04:05.123456789Z` for `seconds` since 1970 and `nanoseconds` (0..<1e9) in UTC: the fraction
    /// trimmed of trailing zeros and left out when zero, as Go's RFC3339Nano, or with `fixed` always nine digits
    /// (Docker's RFC3339NanoFixed, the timestamps of `docker logs -t`).
    public static func rfc3339(seconds: Int, nanoseconds: Int, fixed: Bool) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = date(days: days)
        var text: [UInt8] = []
        text.reserveCapacity(31)
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                text.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        if (0...9999).contains(year) {
            digits(year, 4)
        } else {
            text.append(contentsOf: String(year).utf8)
        }
        text.append(UInt8(ascii: "-"))
        digits(month, 2)
        text.append(UInt8(ascii: "-"))
        digits(day, 2)
        text.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2)
        text.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2)
        text.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2)
        if nanoseconds > 0 || fixed {
            text.append(UInt8(ascii: "."))
            digits(nanoseconds, 9)
            if !fixed {
                while text.last == UInt8(ascii: "0") { text.removeLast() }
            }
        }
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }
}
