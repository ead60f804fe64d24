import Foundation
import ShoalCore

/// One classic Swarm filter expression (`node==*n1`, `region!=us-east`, `container==~db`, `image==/redis:.*/`):
/// a key, `==` or `!=`, and a value that is a glob (`*` for any run of characters), a regular expression between
/// slashes, or plain text; a `~` before the value makes it soft (preferred, dropped when no node satisfies it).
/// The syntax and its error texts are classic Swarm 1.x's.
public struct ClassicExpression: Sendable, Equatable, CustomStringConvertible {
    public enum Operator: String, Sendable { case equal = "==", notEqual = "!=" }

    public var key: String
    public var op: Operator
    /// Without the soft marker.
    public var value: String
    public var isSoft: Bool

    public var description: String { key + op.rawValue + value }

    public init(parsing text: String) throws(ShoalError) {
        guard let op = [Operator.equal, .notEqual].first(where: { text.contains($0.rawValue) }),
              let range = text.range(of: op.rawValue) else {
            throw ShoalError.invalidArgument("One of operator ==, != is expected")
        }
        let key = String(text[..<range.lowerBound])
        let raw = String(text[range.upperBound...])
        guard Self.matches(key, #"^(?i)[a-z_][a-z0-9\-_.]+$"#) else {
            throw ShoalError.invalidArgument("Key '\(key)' is invalid")
        }
        guard Self.matches(raw, #"^(?i)[=!\/]?(~)?[a-z0-9:\-_\s\.\*/\(\)\?\+\[\]\\\^\$\|]+$"#) else {
            throw ShoalError.invalidArgument("Value '\(raw)' is invalid")
        }
        self.key = key
        self.op = op
        isSoft = raw.hasPrefix("~")
        value = String(raw.drop { $0 == "~" })
    }

    public static func parse(_ texts: [String]) throws(ShoalError) -> [ClassicExpression] {
        var parsed: [ClassicExpression] = []
        for text in texts { parsed.append(try ClassicExpression(parsing: text)) }
        return parsed
    }

    /// Whether any of `candidates` matches the value (for `==`), or none does (for `!=`). A value between slashes
    /// is a regular expression searched anywhere; otherwise the whole candidate must match the glob.
    public func matches(_ candidates: [String]) -> Bool {
        let pattern: String
        if value.count >= 2, value.hasPrefix("/"), value.hasSuffix("/") {
            pattern = String(value.dropFirst().dropLast())
        } else {
            pattern = "^" + value.replacingOccurrences(of: "*", with: ".*") + "$"
        }
        let found = (try? NSRegularExpression(pattern: pattern)).map { regex in
            candidates.contains { candidate in
                regex.firstMatch(in: candidate, range: NSRange(candidate.startIndex..., in: candidate)) != nil
            }
        } ?? false
        return op == .equal ? found : !found
    }

    private static func matches(_ text: String, _ pattern: String) -> Bool {
        text.range(of: pattern, options: .regularExpression) != nil
    }
}

/// What a `docker run` asks of classic Swarm's scheduler, read from the container's environment
/// (`-e constraint:…`, `-e affinity:…`, `-e reschedule:…`) and labels (`com.docker.swarm.constraints` and
/// `.affinities` as JSON arrays, `.reschedule-policies`). Like classic Swarm, it takes those entries out of the
/// environment and keeps them as labels on the container.
public struct ClassicRequest: Sendable, Equatable {
    public static let constraintsLabel = "com.docker.swarm.constraints"
    public static let affinitiesLabel = "com.docker.swarm.affinities"
    public static let reschedulePoliciesLabel = "com.docker.swarm.reschedule-policies"

    public var constraints: [String] = []
    public var affinities: [String] = []
    public var reschedulePolicies: [String] = []
    /// The environment without the scheduling entries.
    public var env: [String] = []
    /// The labels with the scheduling entries stored as classic Swarm stores them.
    public var labels: [String: String] = [:]

    public init(env: [String], labels: [String: String]) {
        func list(_ label: String) -> [String] {
            labels[label].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        }
        constraints = list(Self.constraintsLabel)
        affinities = list(Self.affinitiesLabel)
        reschedulePolicies = list(Self.reschedulePoliciesLabel)
        for entry in env {
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            switch parts.count == 2 ? parts[0] : "" {
            case "constraint": constraints.append(parts[1])
            case "affinity": affinities.append(parts[1])
            case "reschedule": reschedulePolicies.append(parts[1])
            default: self.env.append(entry)
            }
        }
        self.labels = labels
        for (label, values) in [(Self.constraintsLabel, constraints), (Self.affinitiesLabel, affinities),
                                (Self.reschedulePoliciesLabel, reschedulePolicies)] where !values.isEmpty {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            self.labels[label] = (try? encoder.encode(values)).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// `-e reschedule:on-node-failure`: re-created on another node when its node is Down.
    public var reschedulesOnNodeFailure: Bool { reschedulePolicies.contains("on-node-failure") }
}
