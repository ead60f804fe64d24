import ShoalCore
import ShoalModel

/// One `--constraint` expression, `key==value` or `key!=value`, as SwarmKit reads it: keys and values are
/// matched case-insensitively (label names after `node.labels.`/`engine.labels.` are not), a missing property or
/// label reads as the empty string, and a key the scheduler does not know matches no node at all.
public struct Constraint: Sendable, Equatable, Hashable {
    public enum Operator: String, Sendable, CaseIterable {
        case equal = "=="
        case notEqual = "!="
    }

    /// What a key names on a node, decided once at parse time so matching does no string work on keys.
    public enum Subject: Sendable, Equatable, Hashable {
        case nodeID, hostname, nodeIP, role, os, architecture
        case nodeLabel(String)
        case engineLabel(String)
        /// A well-formed key that names nothing (`node.zone`): Docker accepts it and then places nowhere.
        case unknown
    }

    public static let nodeLabelPrefix = "node.labels."
    public static let engineLabelPrefix = "engine.labels."

    public var key: String
    public var op: Operator
    public var value: String
    public var subject: Subject

    /// Parses one expression with Docker's rules and error texts (`docker service create` shows them after
    /// "Error response from daemon: ").
    public init(parsing expression: String) throws(ShoalError) {
        // The first operator the expression contains wins, in this order: "a==b!=c" splits at "==" and then
        // fails on its value.
        guard let op = Operator.allCases.first(where: { expression.contains($0.rawValue) }),
              let range = expression.range(of: op.rawValue) else {
            throw ShoalError.invalidArgument(
                "constraint expected one operator from \(Operator.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let key = Self.trimmed(expression[..<range.lowerBound])
        guard Self.isValidKey(key) else { throw ShoalError.invalidArgument("key '\(key)' is invalid") }
        let value = Self.trimmed(expression[range.upperBound...])
        guard Self.isValidValue(value) else { throw ShoalError.invalidArgument("value '\(value)' is invalid") }
        self.key = key
        self.op = op
        self.value = value
        subject = Self.subject(of: key)
    }

    /// Parses every expression of a placement; the first malformed one fails the lot, as at service create.
    public static func parse(_ expressions: [String]) throws(ShoalError) -> [Constraint] {
        var constraints: [Constraint] = []
        for expression in expressions { constraints.append(try Constraint(parsing: expression)) }
        return constraints
    }

    static func subject(of key: String) -> Subject {
        switch key.lowercased() {
        case "node.id": return .nodeID
        case "node.hostname": return .hostname
        case "node.ip": return .nodeIP
        case "node.role": return .role
        case "node.platform.os": return .os
        case "node.platform.arch": return .architecture
        default: break
        }
        if let label = labelName(key, prefix: nodeLabelPrefix) { return .nodeLabel(label) }
        if let label = labelName(key, prefix: engineLabelPrefix) { return .engineLabel(label) }
        return .unknown
    }

    /// The label name after a prefix matched case-insensitively; nil when the key is not that prefix plus a name.
    static func labelName(_ key: String, prefix: String) -> String? {
        guard key.utf8.count > prefix.utf8.count, key.lowercased().hasPrefix(prefix) else { return nil }
        return String(key.dropFirst(prefix.count))
    }

    private static func trimmed(_ text: Substring) -> String {
        var text = text
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return String(text)
    }

    /// SwarmKit's key pattern `(?i)[a-z_][a-z0-9\-_.]+`: at least two characters, no leading digit or dot.
    static func isValidKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard bytes.count >= 2, isLetter(bytes[0]) || bytes[0] == UInt8(ascii: "_") else { return false }
        return bytes.dropFirst().allSatisfy { isLetter($0) || isDigit($0) || "-_.".utf8.contains($0) }
    }

    /// SwarmKit's value pattern: letters, digits, blanks and `:-_.*()?+[]\^$|/`, so that operators (`=`, `<`,
    /// `>`, `~`, `!`) Docker may add later cannot appear in a value today.
    static func isValidValue(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty else { return false }
        return bytes.allSatisfy { isLetter($0) || isDigit($0) || valueSymbols.contains($0) }
    }

    private static let valueSymbols = Set(":-_ \t\n\r\u{0C}.*()?+[]\\^$|/".utf8)
    private static func isLetter(_ c: UInt8) -> Bool { (65...90).contains(c) || (97...122).contains(c) }
    private static func isDigit(_ c: UInt8) -> Bool { (48...57).contains(c) }
}
