import ShoalCore

/// A wall-clock instant with nanoseconds, as k8s-file log lines carry it (RFC 3339 with a UTC offset).
public struct LogTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var seconds: Int64
    public var nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func < (lhs: LogTimestamp, rhs: LogTimestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// Parses `2026-11-22T17:08:15.123456789+01:00` (or `Z`, any number of fraction digits).
    public init?(rfc3339 text: Substring) {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int64? {
            guard range.upperBound <= bytes.count else { return nil }
            var value: Int64 = 0
            for index in range {
                let digit = bytes[index] &- 48
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            return value
        }
        guard bytes.count >= 20, let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var index = 19
        var nanos: Int64 = 0
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 9 {
                    nanos = nanos * 10 + Int64(bytes[index] - 48)
                    digits += 1
                }
                index += 1
            }
            while digits < 9 {
                nanos *= 10
                digits += 1
            }
        }
        var offset: Int64 = 0
        if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
            guard let hours = number((index + 1)..<(index + 3)), let minutes = number((index + 4)..<(index + 6)) else {
                return nil
            }
            offset = (hours * 3600 + minutes * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        } else if index >= bytes.count || (bytes[index] != UInt8(ascii: "Z") && bytes[index] != UInt8(ascii: "z")) {
            return nil
        }
        let days = Int64(CivilTime.days(year: Int(year), month: Int(month), day: Int(day)))
        seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
        nanoseconds = Int32(nanos)
    }

    /// RFC 3339 in UTC with 9 fraction digits, as `docker logs -t` prints.
    public var description: String {
        CivilTime.rfc3339(seconds: Int(seconds), nanoseconds: Int(nanoseconds), fixed: true)
    }
}
