import Foundation
import Hummingbird
import ShoalCore

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
    static func rfc3339Nano(_ date: Date) -> String { CivilTime.rfc3339(date) }

    /// Docker's RFC3339NanoFixed: always nine digits (the timestamps of log lines, so that lines line up).
    static func rfc3339NanoFixed(_ date: Date) -> String { CivilTime.rfc3339(date, fixed: true) }

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
