/// Durations as Go (and so the docker CLI) writes them: a sequence of number+unit, e.g. `1s`, `500ms`, `1m30s`.
enum GoDuration {
    static let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1),
                                            ("m", 60), ("h", 3600)]

    /// The duration in seconds, nil when `text` is not one.
    static func seconds(_ text: String) -> Double? {
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
}
