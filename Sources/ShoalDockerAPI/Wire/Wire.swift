import Foundation
import Hummingbird

/// Docker's JSON conventions: Go's field names, RFC 3339 times with nanoseconds, `null` never required.
/// Wire types in this folder name their properties exactly as Docker's JSON keys do (`Id`, `HostConfig`, …):
/// the wire shape is the contract, and a one-to-one spelling keeps it reviewable against the API reference.
enum Wire {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Wire.rfc3339Nano(date))
        }
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        // Wire types only hold strings, numbers, bools and dates: encoding cannot fail.
        Array((try? encoder.encode(value)) ?? Data("{}".utf8))
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        json(encoded: encode(value), status: status)
    }

    /// A body already encoded with `encoder`.
    static func json(encoded: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBuffer()
        buffer.writeBytes(encoded)
        buffer.writeString("\n")
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }

    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext,
                                     allowEmpty: Bool = false) async throws -> T? {
        let buffer = try await request.body.collect(upTo: 16 << 20)
        if buffer.readableBytes == 0 {
            if allowEmpty { return nil }
            throw DockerAPIError.badRequest("empty request body")
        }
        do {
            return try decoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw DockerAPIError.badRequest("invalid JSON: \(Wire.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.typeMismatch(let type, let context):
            "cannot unmarshal into \(context.codingPath.map(\.stringValue).joined(separator: ".")) of type \(type)"
        case DecodingError.dataCorrupted(let context):
            context.debugDescription
        case DecodingError.keyNotFound(let key, _):
            "missing field \(key.stringValue)"
        case DecodingError.valueNotFound(_, let context):
            "missing value at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default:
            "\(error)"
        }
    }

    /// Go's time.RFC3339Nano: fraction trimmed of trailing zeros, UTC as `Z`.
    static func rfc3339Nano(_ date: Date) -> String { rfc3339(date, fixed: false) }

    /// Docker's RFC3339NanoFixed: always nine digits (the timestamps of log lines, so that lines line up).
    static func rfc3339NanoFixed(_ date: Date) -> String { rfc3339(date, fixed: true) }

    /// Digits appended by hand from the civil date of the day number (H. Hinnant's `civil_from_days`): the
    /// `Calendar` + `String(format:)` way cost 0.2 ms a date, a tenth of the daemon's CPU for a `GET /tasks` of
    /// 50 tasks (three dates each) that a `docker service ps` or a deploy's progress polls.
    private static func rfc3339(_ date: Date, fixed: Bool) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        var nanos = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000_000).rounded())
        var whole = Int(seconds)
        if nanos >= 1_000_000_000 {
            whole += 1
            nanos -= 1_000_000_000
        }
        let days = whole >= 0 ? whole / 86_400 : (whole - 86_399) / 86_400
        let secondOfDay = whole - days * 86_400
        let (year, month, day) = civil(days: days)
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
        if nanos > 0 || fixed {
            text.append(UInt8(ascii: "."))
            digits(nanos, 9)
            if !fixed {
                while text.last == UInt8(ascii: "0") { text.removeLast() }
            }
        }
        text.append(UInt8(ascii: "Z"))
        return String(decoding: text, as: UTF8.self)
    }

    /// The proleptic Gregorian (year, month, day) of a day counted from 1970-01-01.
    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
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

    /// Go's zero time, which Docker prints for "never" (e.g. StartedAt of a created container).
    static let zeroTime = "0001-01-01T00:00:00Z"
}

/// Docker encodes sets as objects with empty values: `"ExposedPorts": {"80/tcp": {}}`.
struct Empty: Codable, Sendable, Equatable {}

/// Docker's strslice: a JSON string or an array of strings (Cmd, Entrypoint, Shell).
struct StringOrArray: Codable, Sendable, Equatable {
    var values: [String]
    init(_ values: [String]) { self.values = values }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let single = try? container.decode(String.self) {
            values = [single]
        } else {
            values = try container.decode([String].self)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}
