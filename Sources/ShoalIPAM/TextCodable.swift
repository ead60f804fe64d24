import ShoalCore

/// Values that are stored and sent as their text form ("172.18.0.0/16", "02:42:ac:11:00:02"): decoding parses
/// with the same checks as user input, encoding writes `description`. One conformance replaces a hand-written
/// Codable pair per type.
public protocol TextCodable: Codable, CustomStringConvertible {
    init(parsing text: String) throws(ShoalError)
}

extension TextCodable {
    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
