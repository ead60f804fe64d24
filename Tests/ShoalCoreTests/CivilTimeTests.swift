import ShoalCore
import Testing

@Suite struct CivilTimeTests {
    /// Day numbers and dates are each other's inverse, day by day over four centuries either side of 1970 (leap
    /// years, the century rule, 2000's exception), and known dates land where the calendar puts them.
    @Test func daysAndDatesRoundTrip() {
        var expected = CivilTime.date(days: -146_097 * 2)
        for days in (-146_097 * 2)...(146_097 * 2) {
            let date = CivilTime.date(days: days)
            #expect(CivilTime.days(year: date.year, month: date.month, day: date.day) == days)
            if days > -146_097 * 2 {
                let daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][expected.month - 1]
                    + (expected.month == 2 && (expected.year % 4 == 0 && (expected.year % 100 != 0 || expected.year % 400 == 0)) ? 1 : 0)
                if expected.day < daysInMonth {
                    expected.day += 1
                } else if expected.month < 12 {
                    (expected.month, expected.day) = (expected.month + 1, 1)
                } else {
                    (expected.year, expected.month, expected.day) = (expected.year + 1, 1, 1)
                }
                if date != expected {
                    Issue.record("day \(days): \(date), expected \(expected)")
                    return
                }
            }
        }
        #expect(CivilTime.date(days: 0) == (1970, 1, 1))
        #expect(CivilTime.date(days: 11_016) == (2000, 2, 29))
        #expect(CivilTime.days(year: 1, month: 1, day: 1) == -719_162)
    }

    @Test func rfc3339AsGoWritesIt() {
        #expect(CivilTime.rfc3339(seconds: 0, nanoseconds: 0, fixed: false) == "1970-01-01T00:00:00Z")
        #expect(CivilTime.rfc3339(seconds: 0, nanoseconds: 0, fixed: true) == "1970-01-01T00:00:00.000000000Z")
        #expect(CivilTime.rfc3339(seconds: 1_700_000_000, nanoseconds: 120_000_000, fixed: false)
            == "2023-11-14T22:13:20.12Z")
        #expect(CivilTime.rfc3339(seconds: -1, nanoseconds: 5, fixed: false) == "1969-12-31T23:59:59.000000005Z")
        #expect(CivilTime.rfc3339(seconds: -62_135_596_800, nanoseconds: 0, fixed: false) == "0001-01-01T00:00:00Z")
    }
}
