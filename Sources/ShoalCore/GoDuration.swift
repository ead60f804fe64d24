import Foundation

/// Durations as Go (and so the docker CLI and Docker's messages) write them: a sequence of number+unit, e.g.
/// `1s`, `500ms`, `1m30s`.
public enum GoDuration {
    static let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1),
                                            ("m", 60), ("h", 3600)]

    /// The duration in seconds, nil when `text` is not one.
    public static func seconds(_ text: String) -> Double? {
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            // The unit is every letter up to the next number ("ms" is not "m" then "s").
            let unit = rest.prefix { !($0.isNumber || $0 == ".") }
            guard let factor = units.first(where: { unit == $0.0 })?.1 else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * factor
        }
        return total
    }

    /// Go's `time.Duration` text (`30s`, `500ms`, `1m30s`), as Docker's messages print durations.
    public static func text(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanos = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        if nanos == 0 { return "0s" }
        if nanos < 1_000 { return "\(nanos)ns" }
        if nanos < 1_000_000 { return trimmed(Double(nanos) / 1_000) + "µs" }
        if nanos < 1_000_000_000 { return trimmed(Double(nanos) / 1_000_000) + "ms" }
        let hours = nanos / 3_600_000_000_000
        let minutes = nanos % 3_600_000_000_000 / 60_000_000_000
        let rest = nanos % 60_000_000_000
        var text = hours > 0 ? "\(hours)h" : ""
        if hours > 0 || minutes > 0 { text += "\(minutes)m" }
        return text + trimmed(Double(rest) / 1e9) + "s"
    }

    private static func trimmed(_ value: Double) -> String {
        var text = String(format: "%.9f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
