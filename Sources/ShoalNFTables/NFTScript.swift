/// A line-oriented builder for nft scripts: tab indentation, one statement per line.
struct NFTScript {
    private(set) var text = ""
    var depth = 0

    mutating func line(_ content: String) {
        if content.isEmpty {
            text += "\n"
        } else {
            text += String(repeating: "\t", count: depth) + content + "\n"
        }
    }

    /// `chain NAME { … }` with its body indented one more level.
    mutating func chain(_ name: String, _ body: (inout NFTScript) -> Void) {
        line("chain \(name) {")
        depth += 1
        body(&self)
        depth -= 1
        line("}")
    }

    /// The opening of a script that replaces `table FAMILY TABLE` whole (for each family given): declaring the
    /// table first makes the delete succeed when it is absent, and the definition that follows refills it in the
    /// same transaction.
    mutating func replaceTable(_ table: String, title: String, families: [String] = ["ip"]) {
        deleteTables(table, title: title, families: families) { "replaces \($0) in one transaction" }
        line("")
    }

    /// A whole script deleting `table FAMILY TABLE` (for each family given) if present.
    mutating func removeTable(_ table: String, title: String, families: [String] = ["ip"]) {
        deleteTables(table, title: title, families: families) { "removes \($0) if present" }
    }

    /// A title line saying `what` of the tables, then each declared and deleted.
    private mutating func deleteTables(_ table: String, title: String, families: [String],
                                       _ what: (String) -> String) {
        let tables = families.map { "table \($0) \(table)" }
        line("# \(title) (generated): \(what(tables.joined(separator: " and "))).")
        for table in tables {
            line(table)
            line("delete " + table)
        }
    }
}

/// nft syntax for names and sets.
enum NFT {
    /// A quoted interface name, e.g. `"shoal0"`.
    static func quoted(_ name: String) -> String {
        "\"\(name)\""
    }

    /// One quoted name, or an anonymous set `{ "a", "b" }` for several.
    static func quotedSet(_ names: [String]) -> String {
        names.count == 1 ? quoted(names[0]) : "{ " + names.map(quoted).joined(separator: ", ") + " }"
    }

    /// nft identifiers: a letter, then letters, digits or underscores (kept conservative on purpose).
    static func isValidTableName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 64, isLetter(first) else { return false }
        return bytes.allSatisfy { isLetter($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }
}

/// Just enough IPv4 parsing to sort numerically and to validate the model.
enum IPv4 {
    static func parse(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), part.allSatisfy(\.isNumber),
                let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    /// Parses "a.b.c.d/len" into the address and prefix length.
    static func parseCIDR(_ text: String) -> (address: UInt32, prefix: Int)? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = parse(String(parts[0])),
            parts[1].allSatisfy(\.isNumber), let prefix = Int(parts[1]), (0...32).contains(prefix)
        else { return nil }
        return (address, prefix)
    }

    /// Numeric order for IPv4 addresses, text order otherwise (and after them): a stable order for rendering.
    static func precedes(_ x: String, _ y: String) -> Bool {
        switch (parse(x), parse(y)) {
        case let (.some(p), .some(q)): return p != q ? p < q : x < y
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return x < y
        }
    }
}
