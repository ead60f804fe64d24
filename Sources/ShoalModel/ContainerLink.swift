import Foundation
import ShoalCore

/// One `--link NAME[:ALIAS]`. On the default bridge it is a legacy link (the linking container gets the target in
/// its hosts file and Docker's `ALIAS_*` environment); on a user network it is an endpoint link (ALIAS resolves to
/// the target through the embedded DNS, for the linking container only).
public struct ContainerLink: Codable, Sendable, Equatable, Hashable {
    /// The target as given; on a legacy link, its ID once the engine resolved it at create.
    public var target: String
    /// The target's name when last looked at (what inspect shows; it follows a rename).
    public var name: String
    public var alias: String

    public init(target: String, name: String? = nil, alias: String) {
        self.target = target
        self.name = name ?? target
        self.alias = alias
    }

    /// Docker's reading of a link (its opts.ParseLink): `NAME` (the alias is the name), `NAME:ALIAS`, or the
    /// `/NAME:/PARENT/ALIAS` form inspect shows.
    public init(parsing text: String) throws {
        guard !text.isEmpty else { throw ShoalError.invalidArgument("empty string specified for links") }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2 else { throw ShoalError.invalidArgument("bad format for links: \(text)") }
        if parts.count == 1 {
            self.init(target: text, alias: text)
        } else if parts[0].hasPrefix("/") {
            self.init(target: String(parts[0].dropFirst()),
                      alias: String(parts[1].split(separator: "/", omittingEmptySubsequences: false).last ?? ""))
        } else {
            self.init(target: parts[0], alias: parts[1])
        }
    }

    /// `NAME:ALIAS`, the form an endpoint's Links list holds.
    public var text: String { target == alias ? target : "\(target):\(alias)" }
}

/// The environment a legacy link gives the linking container (Docker's links.Link.ToEnv): the target's address
/// and exposed ports as `ALIAS_PORT_*`, its name, and its own environment as `ALIAS_ENV_*`.
public enum LinkEnvironment {
    /// `name` is the link's full name (`/PARENT/ALIAS`); `ports` the target's exposed ports (`80/tcp`).
    public static func variables(alias: String, name: String, address: String, ports: [String],
                                 environment: [String]) -> [String] {
        let prefix = alias.uppercased().replacingOccurrences(of: "-", with: "_")
        // Lowest number first, tcp before other protocols of the same number.
        let sorted: [(number: Int, proto: String)] = ports.compactMap { text in
            let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
            guard let number = Int(parts[0]) else { return nil }
            return (number, parts.count > 1 ? parts[1].lowercased() : "tcp")
        }.sorted { $0.number < $1.number || ($0.number == $1.number && $0.proto == "tcp" && $1.proto != "tcp") }
        var env: [String] = []
        if let first = sorted.first { env.append("\(prefix)_PORT=\(first.proto)://\(address):\(first.number)") }
        var index = 0
        while index < sorted.count {
            let start = sorted[index]
            // Docker's nextContiguous: each later port may be at most one more than a counter that goes up by
            // one a port (so a number repeated for another protocol also counts).
            var end = index, counter = start.number
            while end + 1 < sorted.count, sorted[end + 1].number <= counter + 1 {
                end += 1
                counter += 1
            }
            let key = "\(prefix)_PORT_\(start.number)_\(start.proto.uppercased())"
            if end > index + 1 {
                let last = sorted[end]
                let endKey = "\(prefix)_PORT_\(start.number)_\(last.proto.uppercased())"
                env += ["\(key)_START=\(start.proto)://\(address):\(start.number)", "\(key)_ADDR=\(address)",
                        "\(key)_PROTO=\(start.proto)", "\(key)_PORT_START=\(start.number)",
                        "\(endKey)_END=\(last.proto)://\(address):\(last.number)", "\(endKey)_PORT_END=\(last.number)"]
            }
            for port in sorted[index...end] {
                let key = "\(prefix)_PORT_\(port.number)_\(port.proto.uppercased())"
                env += ["\(key)=\(port.proto)://\(address):\(port.number)", "\(key)_ADDR=\(address)",
                        "\(key)_PORT=\(port.number)", "\(key)_PROTO=\(port.proto)"]
            }
            index = end + 1
        }
        env.append("\(prefix)_NAME=\(name)")
        for entry in environment {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] != "HOME", parts[0] != "PATH" else { continue }
            env.append("\(prefix)_ENV_\(parts[0])=\(parts[1])")
        }
        return env
    }
}
