import Foundation
import ShoalArchive
import ShoalCore
import ShoalOS
import ShoalOCI

extension ImageStore {
    /// `docker import`: a root filesystem tarball (compressed or not) becomes a one-layer image. `changes` are
    /// the run defaults (from `--change`, see `ImageChanges`), `message` the history comment.
    public func importRootfs(tarAt path: String, reference: String? = nil, changes: ContainerConfig = ContainerConfig(),
                             message: String = "", created: Date = Date()) async throws -> ImageRecord {
        let target = try Self.newImageTarget(reference)
        beginOperation()
        defer { endOperation() }
        let unpacker = self.unpacker
        // The chain ID is the diffID, known only once the tar was read: unpack first, then dedupe.
        let layer = try await runBlocking {
            try unpacker.ingestAndUnpack(file: path, expectedBlob: nil, mediaType: nil, parent: nil, expectedDiffID: nil)
        }
        if state.layers[layer.chainID.hex] == nil { state.layers[layer.chainID.hex] = layer }
        let now = RFC3339.format(created)
        let config = ImageConfiguration(
            created: now, config: changes, comment: message.isEmpty ? nil : message,
            history: [.init(created: now, comment: message.isEmpty ? nil : message)],
            rootfs: .init(diffIDs: [layer.diffID]))
        return try storeNewImage(config: config, layers: [layer.chainID], target: target)
    }

    /// The tag a new image gets (`docker import`, `docker commit`): REPO[:TAG] with `latest` by default; a digest
    /// is refused.
    static func newImageTarget(_ reference: String?) throws -> ImageReference? {
        let target = try reference.map { try ImageReference.parse($0).withDefaultTag }
        if let target, target.digest != nil {
            throw ShoalError.invalidArgument("refusing to create a tag with a digest reference")
        }
        return target
    }

    /// Stores a new image's configuration (its ID is the digest of the stored bytes), records it over `layers`
    /// (chain IDs, bottom first, already in the store), tags it `target` and persists the store.
    func storeNewImage(config: ImageConfiguration, layers: [Digest], target: ImageReference?) throws -> ImageRecord {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let id = try content.write(Array(try encoder.encode(config)))
        addImage(id: id, config: config, layers: layers)
        if let target { state.references[target.description] = id }
        try persist()
        return record(state.images[id.hex]!)
    }
}

/// Dockerfile instructions accepted by `docker import --change` and `docker commit --change`, applied to a config.
public enum ImageChanges {
    public static func apply(_ changes: [String], to base: ContainerConfig = ContainerConfig()) throws -> ContainerConfig {
        var config = base
        for change in changes {
            let trimmed = change.trimmingCharacters(in: .whitespaces)
            let parts = trimmed.split(separator: " ", maxSplits: 1)
            guard let keyword = parts.first?.uppercased() else { continue }
            let rest = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : ""
            switch keyword {
            case "CMD": config.cmd = commandForm(rest)
            case "ENTRYPOINT": config.entrypoint = commandForm(rest)
            case "ENV":
                for (key, value) in try pairs(rest, keyword) {
                    config.env = (config.env ?? []).filter { !$0.hasPrefix(key + "=") } + ["\(key)=\(value)"]
                }
            case "LABEL":
                for (key, value) in try pairs(rest, keyword) { config.labels = (config.labels ?? [:]).merging([key: value]) { $1 } }
            case "EXPOSE":
                for port in rest.split(separator: " ") {
                    let spec = port.contains("/") ? String(port) : port + "/tcp"
                    config.exposedPorts = (config.exposedPorts ?? [:]).merging([spec: EmptyObject()]) { $1 }
                }
            case "VOLUME":
                let paths = jsonArray(rest) ?? rest.split(separator: " ").map(String.init)
                for path in paths { config.volumes = (config.volumes ?? [:]).merging([path: EmptyObject()]) { $1 } }
            case "USER": config.user = rest
            case "WORKDIR": config.workingDir = rest
            case "STOPSIGNAL": config.stopSignal = rest
            case "ONBUILD": config.onBuild = (config.onBuild ?? []) + [rest]
            case "HEALTHCHECK": config.healthcheck = try healthcheck(rest)
            default:
                throw ShoalError.invalidArgument("\(keyword.lowercased()) is not a valid change command")
            }
        }
        return config
    }

    /// `HEALTHCHECK [--interval=D] [--timeout=D] [--start-period=D] [--retries=N] CMD command` or
    /// `HEALTHCHECK NONE`, read as Docker's Dockerfile parser reads it (its refusals in its words).
    static func healthcheck(_ text: String) throws -> Healthcheck {
        var rest = Substring(text)
        var flags: [String: String] = [:]
        while rest.hasPrefix("--") {
            let word = rest.prefix { $0 != " " }
            rest = rest.dropFirst(word.count).drop { $0 == " " }
            let parts = word.dropFirst(2).split(separator: "=", maxSplits: 1)
            let name = String(parts.first ?? "")
            guard ["interval", "timeout", "start-period", "retries"].contains(name) else {
                throw ShoalError.invalidArgument("Unknown flag: \(name)")
            }
            flags[name] = parts.count > 1 ? String(parts[1]) : ""
        }
        let kind = rest.prefix { $0 != " " }.uppercased()
        let command = rest.dropFirst(kind.count).trimmingCharacters(in: .whitespaces)
        guard !kind.isEmpty else { throw ShoalError.invalidArgument("HEALTHCHECK requires at least one argument") }
        if kind == "NONE" {
            guard command.isEmpty else { throw ShoalError.invalidArgument("HEALTHCHECK NONE takes no arguments") }
            return Healthcheck(test: ["NONE"])
        }
        guard kind == "CMD" else {
            throw ShoalError.invalidArgument("Unknown type \"\(kind)\" in HEALTHCHECK (try CMD)")
        }
        let words = jsonArray(command) ?? (command.isEmpty ? [] : [command])
        guard !words.isEmpty else { throw ShoalError.invalidArgument("Missing command after HEALTHCHECK CMD") }
        var check = Healthcheck(test: [jsonArray(command) == nil ? "CMD-SHELL" : "CMD"] + words)
        func duration(_ name: String) throws -> Int64? {
            guard let value = flags[name], !value.isEmpty else { return nil }
            guard let seconds = GoDuration.seconds(value) else {
                throw ShoalError.invalidArgument("time: invalid duration \"\(value)\"")
            }
            let nanos = Int64((seconds * 1e9).rounded())
            guard nanos >= 1_000_000 else {
                throw ShoalError.invalidArgument("Interval \"\(name)\" cannot be less than 1ms")
            }
            return nanos
        }
        check.interval = try duration("interval")
        check.timeout = try duration("timeout")
        check.startPeriod = try duration("start-period")
        if let value = flags["retries"], !value.isEmpty {
            guard let retries = Int32(value) else {
                throw ShoalError.invalidArgument("strconv.ParseInt: parsing \"\(value)\": invalid syntax")
            }
            guard retries >= 1 else {
                throw ShoalError.invalidArgument("--retries must be at least 1 (not \(retries))")
            }
            check.retries = Int(retries)
        }
        return check
    }

    static func jsonArray(_ text: String) -> [String]? {
        guard text.hasPrefix("[") else { return nil }
        return try? JSONDecoder().decode([String].self, from: Data(text.utf8))
    }

    /// JSON (exec) form as is; shell form runs under `/bin/sh -c`.
    static func commandForm(_ text: String) -> [String] {
        jsonArray(text) ?? ["/bin/sh", "-c", text]
    }

    /// `KEY=VALUE …` or the legacy `KEY VALUE`.
    static func pairs(_ text: String, _ keyword: String) throws -> [(String, String)] {
        guard !text.isEmpty else { throw ShoalError.invalidArgument("\(keyword) requires at least one argument") }
        if !text.split(separator: " ").first!.contains("=") {
            let parts = text.split(separator: " ", maxSplits: 1)
            return [(String(parts[0]), parts.count > 1 ? unquote(String(parts[1])) : "")]
        }
        return text.split(separator: " ").map { item in
            let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(kv[0]), kv.count > 1 ? unquote(String(kv[1])) : "")
        }
    }

    static func unquote(_ s: String) -> String {
        if s.count >= 2, (s.hasPrefix("\"") && s.hasSuffix("\"")) || (s.hasPrefix("'") && s.hasSuffix("'")) {
            return String(s.dropFirst().dropLast())
        }
        return s
    }
}
