import Foundation
import Hummingbird
import ShoalModel

/// Docker's query conventions: booleans as `1`/`true`, filters as a JSON object of name → {value: true}
/// (or name → [values] from older clients). Public for the routes of other targets (the cluster endpoint's).
public struct Query {
    let parameters: [String: String]
    /// All values of parameters given more than once (`names=a&names=b`).
    let multi: [String: [String]]

    public init(_ request: Request) {
        var parameters: [String: String] = [:]
        var multi: [String: [String]] = [:]
        // Decoded as Go's url.ParseQuery does (clients encode a space as `+`, a plus as `%2B`); Hummingbird's
        // queryParameters leave `+` as it is.
        for pair in (request.uri.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            parameters[key] = value
            multi[key, default: []].append(value)
        }
        self.parameters = parameters
        self.multi = multi
    }

    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    public subscript(_ name: String) -> String? { parameters[name] }

    func bool(_ name: String, default value: Bool = false) -> Bool {
        guard let text = parameters[name] else { return value }
        switch text.lowercased() {
        case "1", "true", "yes": return true
        case "", "0", "false", "no": return false
        default: return value
        }
    }

    func int(_ name: String) throws -> Int? {
        guard let text = parameters[name], !text.isEmpty else { return nil }
        guard let value = Int(text) else {
            throw DockerAPIError.badRequest("invalid value for \(name): \(text)")
        }
        return value
    }

    func filters() throws -> Filters {
        guard let text = parameters["filters"], !text.isEmpty else { return Filters([:]) }
        guard let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw DockerAPIError.badRequest("invalid filter '\(text)'")
        }
        var result: [String: [String]] = [:]
        for (key, value) in object {
            if let map = value as? [String: Any] {
                result[key] = map.keys.sorted()
            } else if let list = value as? [String] {
                result[key] = list
            } else {
                throw DockerAPIError.badRequest("invalid filter '\(key)'")
            }
        }
        return Filters(result)
    }

    /// What container and service logs share (Docker's checks first): the streams, at least one of them;
    /// `follow`, `timestamps`, `since`.
    func logOptions() throws -> LogOptions {
        var options = LogOptions()
        options.stdout = bool("stdout")
        options.stderr = bool("stderr")
        guard options.stdout || options.stderr else {
            throw DockerAPIError.badRequest("Bad parameters: you must choose at least one stream")
        }
        options.follow = bool("follow")
        options.timestamps = bool("timestamps")
        options.since = try timestamp("since")
        return options
    }

    /// Docker's `since`/`until` for logs and events: Unix seconds with an optional fraction ("1690000000.5").
    /// Only that form, as Docker's timetypes.ParseTimestamps reads it: an exponent (`1e99`), `inf` or `nan` is
    /// refused (such a value overflowed the engine's Int64 nanoseconds and crashed the daemon). Times past
    /// what Int64 nanoseconds hold (years before 1678 or after 2262) are clamped to that range.
    func timestamp(_ name: String) throws -> Date? {
        guard let text = parameters[name], !text.isEmpty else { return nil }
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0].hasPrefix("-") ? parts[0].dropFirst() : parts[0]
        let isDigits = { (part: Substring) in !part.isEmpty && part.allSatisfy { $0.isASCII && $0.isNumber } }
        guard isDigits(whole), parts.count == 1 || isDigits(parts[1]), let seconds = Double(text), seconds.isFinite else {
            throw DockerAPIError.badRequest("invalid value for \(name): \(text)")
        }
        let limit = Double(Int64.max / 1_000_000_000 - 1)
        // `--since 0` is the epoch: every event the daemon still holds.
        return Date(timeIntervalSince1970: min(max(seconds, -limit), limit))
    }
}

struct Filters {
    let values: [String: [String]]
    init(_ values: [String: [String]]) { self.values = values }

    subscript(_ name: String) -> [String] { values[name] ?? [] }

    func validate(accepting names: Set<String>) throws {
        for key in values.keys where !names.contains(key) {
            throw DockerAPIError.badRequest("invalid filter '\(key)'")
        }
    }

    /// Docker's label filter: every `key` or `key=value` given must match.
    func matchLabels(_ labels: [String: String], key: String = "label") -> Bool {
        self[key].allSatisfy { filter in
            if let eq = filter.firstIndex(of: "=") {
                return labels[String(filter[..<eq])] == String(filter[filter.index(after: eq)...])
            }
            return labels[filter] != nil
        }
    }
}

extension Request {
    /// Reads the whole body into a temporary file (image tarballs can be large) and returns its path.
    func spoolBody(into directory: String) async throws -> String {
        let path = directory + "/upload-" + UUID().uuidString
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw DockerAPIError(.internalServerError, "cannot create \(path)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        do {
            for try await chunk in body {
                try handle.write(contentsOf: Data(chunk.readableBytesView))
            }
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        return path
    }
}

extension ResponseBody {
    /// Streams a file the daemon wrote for this response (a saved image, a `docker cp` tar) and deletes it
    /// once sent, or once the client went away.
    static func spooledFile(_ path: String) -> ResponseBody {
        ResponseBody { writer in
            defer { try? FileManager.default.removeItem(atPath: path) }
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            while let data = try handle.read(upToCount: 1 << 16), !data.isEmpty {
                try await writer.write(ByteBuffer(bytes: data))
            }
            try await writer.finish(nil)
        }
    }
}
