import ShoalCore

/// Docker's option values are parsed by Go's strconv and docker/go-units; these take the same inputs and word
/// their errors the same way, since Docker's messages quote them.
public enum GoParse {
    /// `strconv.ParseBool`.
    public static func bool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": true
        case "0", "f", "F", "FALSE", "false", "False": false
        default: nil
        }
    }

    public static func boolError(_ text: String) -> ShoalError {
        ShoalError.invalidArgument("strconv.ParseBool: parsing \(quoted(text)): invalid syntax")
    }

    /// `strconv.Atoi` (64-bit).
    public static func int(_ text: String) throws -> Int {
        var digits = Substring(text)
        if digits.first == "+" || digits.first == "-" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw ShoalError.invalidArgument("strconv.Atoi: parsing \(quoted(text)): invalid syntax")
        }
        guard let value = Int(text) else {
            throw ShoalError.invalidArgument("strconv.Atoi: parsing \(quoted(text)): value out of range")
        }
        return value
    }

    /// Go's `%q` for the plain strings options hold.
    static func quoted(_ text: String) -> String {
        "\"" + text.flatMap { $0 == "\\" || $0 == "\"" ? ["\\", $0] : [$0] } + "\""
    }
}

/// docker/go-units sizes: `10`, `10k`, `1.5m`, `10 MB`, `2GiB` (the `i` changes nothing: the caller picks
/// decimal, `FromHumanSize`, or binary, `RAMInBytes`).
public enum HumanSize {
    public static func bytes(_ text: String, binary: Bool) throws -> Int64 {
        let invalid = ShoalError.invalidArgument("invalid size: '\(text)'")
        var rest = Substring(text)
        let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        rest = rest.dropFirst(number.count)
        // go-units' pattern: digits, then any number of ".digits" groups.
        guard let first = number.first, first.isNumber, number.last?.isNumber == true,
              !number.contains("..") else { throw invalid }
        if rest.first == " " { rest = rest.dropFirst() }
        var multiplier: Double = 1
        if let unit = rest.first, let power = "kmgtp".firstIndex(of: Character(unit.lowercased())) {
            let exponent = "kmgtp".distance(from: "kmgtp".startIndex, to: power) + 1
            multiplier = Double(exactly: (0..<exponent).reduce(1.0) { value, _ in value * (binary ? 1024 : 1000) })!
            rest = rest.dropFirst()
        }
        if rest.first == "i" || rest.first == "I" { rest = rest.dropFirst() }
        if rest.first == "b" || rest.first == "B" { rest = rest.dropFirst() }
        guard rest.isEmpty else { throw invalid }
        guard let value = Double(number) else {
            let quoted = GoParse.quoted(String(number))
            throw ShoalError.invalidArgument("strconv.ParseFloat: parsing \(quoted): invalid syntax")
        }
        return Int64(value * multiplier)
    }
}
