import Foundation

/// SplitMix64: small, fast and reproducible from one printed seed.
struct FuzzRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...items.count - 1)] }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }
    mutating func word(_ length: ClosedRange<Int> = 1...12) -> String {
        String((0..<int(length)).map { _ in pick(Array("abcdefghijklmnopqrstuvwxyz0123456789_-.")) })
    }
}

/// One request the fuzzer sends: its bytes, whether it must be answered (or closed) promptly, and a label.
struct FuzzCase: Sendable {
    var label: String
    var bytes: [UInt8]
    /// The daemon may hold the connection (a body it still waits for without a half-close); not a hang then.
    var mayWait = false
}

/// Builds malformed requests for every route of the API. It never names the witness containers on a route that
/// changes state, never sends a body that could decode on a route that would reach outside the host (`/auth`,
/// `/swarm/init|join`), names images only under a loopback registry (a pull or push goes nowhere), and leaves
/// out the prune routes.
struct APIFuzzer {
    enum BodyPolicy {
        /// No body is read.
        case none
        /// Any body: a JSON object that decodes only creates something of the fuzzer's own (a volume, a network).
        case any
        /// Only bodies that can never decode to an object: arrays, scalars, garbage.
        case neverObject
        /// Raw bytes (a tarball upload).
        case bytes
    }

    struct Route {
        var method: String
        /// `{id}` becomes a name of the fuzzer's (never a witness); `{w}` a witness (read-only routes only);
        /// `{image}` an image under a loopback registry.
        var path: String
        var body: BodyPolicy
        var queries: [String] = []
    }

    /// Every route of Sources/ShoalDockerAPI/Routes, prunes left out.
    static let routes: [Route] = [
        // SystemRoutes
        .init(method: "GET", path: "/_ping", body: .none), .init(method: "HEAD", path: "/_ping", body: .none),
        .init(method: "GET", path: "/version", body: .none), .init(method: "GET", path: "/info", body: .none),
        .init(method: "GET", path: "/system/df", body: .none),
        .init(method: "GET", path: "/events", body: .none, queries: ["since", "until", "filters"]),
        .init(method: "POST", path: "/auth", body: .neverObject),
        // ContainerRoutes
        .init(method: "POST", path: "/containers/create", body: .any, queries: ["name", "platform"]),
        .init(method: "GET", path: "/containers/json", body: .none, queries: ["all", "limit", "size", "filters"]),
        .init(method: "GET", path: "/containers/{id}/json", body: .none, queries: ["size"]),
        .init(method: "GET", path: "/containers/{w}/json", body: .none, queries: ["size"]),
        .init(method: "POST", path: "/containers/{id}/start", body: .any, queries: ["detachKeys"]),
        .init(method: "POST", path: "/containers/{id}/stop", body: .any, queries: ["t"]),
        .init(method: "POST", path: "/containers/{id}/restart", body: .any, queries: ["t"]),
        .init(method: "POST", path: "/containers/{id}/kill", body: .any, queries: ["signal"]),
        .init(method: "POST", path: "/containers/{id}/pause", body: .any),
        .init(method: "POST", path: "/containers/{id}/unpause", body: .any),
        .init(method: "POST", path: "/containers/{id}/rename", body: .any, queries: ["name"]),
        .init(method: "POST", path: "/containers/{id}/resize", body: .any, queries: ["h", "w"]),
        .init(method: "POST", path: "/containers/{id}/wait", body: .any, queries: ["condition"]),
        .init(method: "DELETE", path: "/containers/{id}", body: .any, queries: ["force", "v", "link"]),
        .init(method: "GET", path: "/containers/{id}/logs", body: .none, queries: ["stdout", "stderr", "tail", "since"]),
        .init(method: "GET", path: "/containers/{w}/logs", body: .none, queries: ["stdout", "stderr", "tail", "since", "timestamps"]),
        .init(method: "POST", path: "/containers/{id}/attach", body: .any, queries: ["stream", "stdin", "stdout", "logs"]),
        .init(method: "GET", path: "/containers/{id}/top", body: .none, queries: ["ps_args"]),
        .init(method: "GET", path: "/containers/{w}/top", body: .none, queries: ["ps_args"]),
        .init(method: "GET", path: "/containers/{id}/stats", body: .none, queries: ["stream"]),
        .init(method: "POST", path: "/containers/{id}/exec", body: .any),
        .init(method: "POST", path: "/containers/{w}/exec", body: .neverObject),
        .init(method: "HEAD", path: "/containers/{id}/archive", body: .none, queries: ["path"]),
        .init(method: "HEAD", path: "/containers/{w}/archive", body: .none, queries: ["path"]),
        .init(method: "GET", path: "/containers/{id}/archive", body: .none, queries: ["path"]),
        .init(method: "PUT", path: "/containers/{id}/archive", body: .bytes, queries: ["path", "noOverwriteDirNonDir"]),
        // ExecRoutes
        .init(method: "GET", path: "/exec/{id}/json", body: .none),
        .init(method: "POST", path: "/exec/{id}/resize", body: .any, queries: ["h", "w"]),
        .init(method: "POST", path: "/exec/{id}/start", body: .any),
        // ImageRoutes
        .init(method: "GET", path: "/images/json", body: .none, queries: ["all", "filters", "digests"]),
        .init(method: "POST", path: "/images/load", body: .bytes, queries: ["quiet"]),
        .init(method: "GET", path: "/images/get", body: .none, queries: ["names"]),
        .init(method: "POST", path: "/images/create", body: .bytes, queries: ["fromSrc", "repo", "tag", "message"]),
        .init(method: "GET", path: "/images/{image}/json", body: .none),
        .init(method: "GET", path: "/images/{image}/history", body: .none),
        .init(method: "POST", path: "/images/{image}/tag", body: .any, queries: ["repo", "tag"]),
        .init(method: "POST", path: "/images/{image}/push", body: .any, queries: ["tag"]),
        .init(method: "DELETE", path: "/images/{image}", body: .any, queries: ["force", "noprune"]),
        // VolumeRoutes
        .init(method: "GET", path: "/volumes", body: .none, queries: ["filters"]),
        .init(method: "POST", path: "/volumes/create", body: .any),
        .init(method: "GET", path: "/volumes/{id}", body: .none),
        .init(method: "DELETE", path: "/volumes/{id}", body: .any, queries: ["force"]),
        // NetworkRoutes
        .init(method: "GET", path: "/networks", body: .none, queries: ["filters"]),
        .init(method: "POST", path: "/networks/create", body: .any),
        .init(method: "GET", path: "/networks/{id}", body: .none, queries: ["verbose", "scope"]),
        .init(method: "DELETE", path: "/networks/{id}", body: .any),
        .init(method: "POST", path: "/networks/{id}/connect", body: .any),
        .init(method: "POST", path: "/networks/{id}/disconnect", body: .any),
        // SwarmRoutes
        .init(method: "GET", path: "/swarm", body: .none),
        .init(method: "POST", path: "/swarm/init", body: .neverObject),
        .init(method: "POST", path: "/swarm/join", body: .neverObject),
        .init(method: "POST", path: "/swarm/leave", body: .any, queries: ["force"]),
        .init(method: "POST", path: "/swarm/update", body: .any, queries: ["version", "rotateWorkerToken"]),
        .init(method: "GET", path: "/swarm/unlockkey", body: .none),
        .init(method: "POST", path: "/swarm/unlock", body: .any),
        // NodeRoutes
        .init(method: "GET", path: "/nodes", body: .none, queries: ["filters"]),
        .init(method: "GET", path: "/nodes/{id}", body: .none),
        .init(method: "POST", path: "/nodes/{id}/update", body: .any, queries: ["version"]),
        .init(method: "DELETE", path: "/nodes/{id}", body: .any, queries: ["force"]),
        // ServiceRoutes and TaskLogRoutes
        .init(method: "GET", path: "/services", body: .none, queries: ["filters", "status"]),
        .init(method: "POST", path: "/services/create", body: .any),
        .init(method: "GET", path: "/services/{id}", body: .none, queries: ["insertDefaults"]),
        .init(method: "POST", path: "/services/{id}/update", body: .any, queries: ["version", "rollback"]),
        .init(method: "DELETE", path: "/services/{id}", body: .any),
        .init(method: "GET", path: "/services/{id}/logs", body: .none, queries: ["stdout", "tail"]),
        .init(method: "GET", path: "/tasks", body: .none, queries: ["filters"]),
        .init(method: "GET", path: "/tasks/{id}", body: .none),
        .init(method: "GET", path: "/tasks/{id}/logs", body: .none, queries: ["stdout", "tail"]),
        // DataObjectRoutes
        .init(method: "GET", path: "/secrets", body: .none, queries: ["filters"]),
        .init(method: "POST", path: "/secrets/create", body: .any),
        .init(method: "GET", path: "/secrets/{id}", body: .none),
        .init(method: "POST", path: "/secrets/{id}/update", body: .any, queries: ["version"]),
        .init(method: "DELETE", path: "/secrets/{id}", body: .any),
        .init(method: "GET", path: "/configs", body: .none, queries: ["filters"]),
        .init(method: "POST", path: "/configs/create", body: .any),
        .init(method: "GET", path: "/configs/{id}", body: .none),
        .init(method: "POST", path: "/configs/{id}/update", body: .any, queries: ["version"]),
        .init(method: "DELETE", path: "/configs/{id}", body: .any),
        // PlacementRoutes and CredentialsRoutes (unix socket only)
        .init(method: "GET", path: "/shoal/placement", body: .none),
        .init(method: "POST", path: "/shoal/credentials", body: .any),
        .init(method: "POST", path: "/shoal/credentials/revoke", body: .any),
    ]

    var random: FuzzRandom
    /// Witness container IDs: used on read-only routes only.
    let witnesses: [String]

    init(seed: UInt64, witnesses: [String]) {
        random = FuzzRandom(seed: seed)
        self.witnesses = witnesses
    }

    // MARK: Targets

    /// A name of the fuzzer's own: it always holds a `z`, so it can never be a prefix of a (hex) container ID.
    mutating func ownName() -> String {
        switch random.int(0...9) {
        case 0: return "z" + String(repeating: "%41", count: random.int(1...200))
        case 1: return "z" + random.word(300...2000)
        case 2: return "z%00%ff%2e%2e"
        case 3: return "z.." + "%2F..%2F" + "etc"
        case 4: return "z" + String(repeating: "é", count: random.int(1...40))
        default: return "fz" + random.word(1...20)
        }
    }

    mutating func target(for route: Route) -> String {
        var path = route.path
        while let range = path.range(of: "{id}") { path.replaceSubrange(range, with: ownName()) }
        if let range = path.range(of: "{w}") { path.replaceSubrange(range, with: random.pick(witnesses)) }
        if let range = path.range(of: "{image}") {
            path.replaceSubrange(range, with: "127.0.0.1:9/" + random.pick(["fz", "z"]) + random.word())
        }
        let prefix = random.pick(["", "", "/v1.41", "/v1.41", "/v1.24", "/v1.99", "/v1.41.1", "/v", "/vx"])
        var target = prefix + path
        if !route.queries.isEmpty || random.chance(0.2) {
            target += "?" + query(route)
        }
        // /events streams until `until`: always one in the past (a stream the client never ends is no hang).
        if route.path == "/events" { target += (target.contains("?") ? "&" : "?") + "until=1" }
        return target
    }

    mutating func query(_ route: Route) -> String {
        var pairs: [String] = []
        for _ in 0..<random.int(0...4) {
            let key = route.queries.isEmpty || random.chance(0.2) ? random.word() : random.pick(route.queries)
            pairs.append(key + "=" + queryValue(key))
        }
        if random.chance(0.05) { pairs.append(String(repeating: "&", count: random.int(1...500))) }
        return pairs.joined(separator: "&")
    }

    mutating func queryValue(_ key: String) -> String {
        if key == "filters" || random.chance(0.1) {
            let json = random.chance(0.3) ? deepJSON(array: random.chance(0.5), depth: random.int(10...3000))
                                          : jsonText(depth: 3)
            return json.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        }
        // Never `fromImage`: the fuzzer must not reach a registry. `until` bounds /events.
        if key == "until" || key == "since" { return random.pick(["1", "0", "-1", "1e99", "x", "1.5", "%ff"]) }
        switch random.int(0...7) {
        case 0: return ""
        case 1: return "-" + String(random.int(0...Int.max))
        case 2: return "%zz%"
        case 3: return "99999999999999999999999999"
        case 4: return random.pick(["true", "false", "1", "0", "yes", "TRUE"])
        case 5: return String(repeating: "a", count: random.int(1000...20000))
        default: return random.word().addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        }
    }

    // MARK: JSON

    /// Keys Docker's request bodies use: values of the wrong type reach the decoders' type checks.
    static let keys = ["Image", "Cmd", "Env", "HostConfig", "Labels", "Name", "Driver", "Config", "Binds",
                       "Memory", "NetworkingConfig", "EndpointConfig", "Container", "Force", "AttachStdout",
                       "Tty", "Detach", "Mounts", "ExposedPorts", "PortBindings", "Healthcheck", "StopTimeout",
                       "Options", "IPAM", "Spec", "TaskTemplate", "Data", "CSR", "Certificate", "User",
                       "Entrypoint", "WorkingDir", "CpuShares", "RestartPolicy", "Ulimits", "Devices"]

    /// A random JSON text (valid), at most `depth` deep.
    mutating func jsonText(depth: Int) -> String {
        switch random.int(depth > 0 ? 0...9 : 0...5) {
        case 0: return random.pick(["null", "true", "false", "0", "-0", "1e400", "-1e-400", "123456789012345678901234567890",
                                    "1.7976931348623157e309", "9223372036854775808", "-9223372036854775809", "0.1e1"])
        case 1: return String(random.int(-1_000_000...1_000_000))
        case 2: return "\"" + random.word(0...30) + "\""
        case 3: return random.pick(["\"\\ud800\"", "\"\\u0000\"", "\"\\udfff\\ud800\"", "\"\\uZZZZ\"", "\"\u{1F600}\"",
                                    "\"" + String(repeating: "\\\\", count: 100) + "\""])
        case 4: return "\"" + String(repeating: "x", count: random.int(0...5000)) + "\""
        case 5: return "[]"
        case 6, 7:
            let members = (0..<random.int(0...6)).map { _ in
                let key = random.chance(0.7) ? random.pick(Self.keys) : random.word()
                return "\"\(key)\":" + jsonText(depth: depth - 1)
            }
            return "{" + members.joined(separator: ",") + "}"
        default:
            return "[" + (0..<random.int(0...6)).map { _ in jsonText(depth: depth - 1) }.joined(separator: ",") + "]"
        }
    }

    /// `[[[…]]]` or `{"a":{"a":…}}`, closed or not.
    mutating func deepJSON(array: Bool, depth: Int) -> String {
        let closed = random.chance(0.5)
        if array { return String(repeating: "[", count: depth) + (closed ? String(repeating: "]", count: depth) : "") }
        return String(repeating: "{\"a\":", count: depth) + "1" + (closed ? String(repeating: "}", count: depth) : "")
    }

    /// Damages valid JSON: cut, a byte flipped, garbage inserted, a bracket dropped.
    mutating func malformed(_ json: String) -> [UInt8] {
        var bytes = Array(json.utf8)
        guard !bytes.isEmpty else { return Array("{".utf8) }
        switch random.int(0...4) {
        case 0: bytes = Array(bytes.prefix(random.int(0...bytes.count - 1)))
        case 1: bytes[random.int(0...bytes.count - 1)] = UInt8.random(in: 0...255, using: &random)
        case 2: bytes.insert(contentsOf: random.bytes(random.int(1...8)), at: random.int(0...bytes.count))
        case 3: bytes += Array(",}]\"".utf8).shuffled(using: &random).prefix(random.int(1...3))
        default: bytes = [0xEF, 0xBB, 0xBF, 0xFF, 0xFE] + bytes
        }
        return bytes
    }

    /// A body for a route: never one that could decode to an object where `policy` forbids it.
    mutating func body(_ policy: BodyPolicy) -> [UInt8]? {
        switch policy {
        case .none:
            return random.chance(0.8) ? nil : random.bytes(random.int(0...512))
        case .bytes:
            switch random.int(0...3) {
            case 0: return nil
            case 1: return random.bytes(random.int(1...70_000))
            case 2: return Array(String(repeating: "ustar\0", count: random.int(1...2000)).utf8)
            default: return Array(repeating: 0, count: 512 * random.int(1...40))
            }
        case .neverObject:
            switch random.int(0...5) {
            case 0: return nil
            case 1: return Array(deepJSON(array: true, depth: random.int(10...100_000)).utf8)
            case 2: return Array(("[" + jsonText(depth: 4) + "]").utf8)
            case 3: return Array(random.pick(["null", "1", "\"x\"", "true", "[", "]", "}", ":"]).utf8)
            case 4: return [random.pick(Array("[]\"0-tfn}:,x".utf8))] + random.bytes(random.int(0...2000))
            default: return Array(("[" + String(repeating: "1,", count: random.int(1...400_000)) + "1]").utf8)
            }
        case .any:
            switch random.int(0...9) {
            case 0: return nil
            case 1: return []
            case 2, 3: return Array(jsonText(depth: 5).utf8)
            case 4: return malformed(jsonText(depth: 4))
            case 5: return Array(deepJSON(array: random.chance(0.5), depth: random.int(10...100_000)).utf8)
            case 6: return random.bytes(random.int(1...4096))
            case 7: return Array(("{\"Image\":\"" + String(repeating: "A", count: random.int(100_000...4_000_000)) + "\"}").utf8)
            case 8: return Array(("{\"Env\":[" + String(repeating: "\"A=B\",", count: random.int(1000...200_000)) + "\"C\"]}").utf8)
            default: return Array(("{" + String(repeating: "\"k\":1,", count: random.int(1...100_000)) + "\"k\":2}").utf8)
            }
        }
    }

    // MARK: Requests

    /// A random method: usually the route's, sometimes another or garbage.
    mutating func method(_ route: Route) -> String {
        guard random.chance(0.1) else { return route.method }
        return random.pick(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "get", "CONNECT", "TRACE",
                            "PRI", "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "G ET", "\u{0}"])
    }

    /// One fuzzed request over a random route.
    mutating func next() -> FuzzCase {
        let route = random.pick(Self.routes)
        let method = method(route)
        let target = target(for: route)
        let body = body(route.body)
        var headers: [(String, String)] = [("Host", random.chance(0.95) ? "docker" : "")]
        if body != nil { headers.append(("Content-Type", random.pick(["application/json", "application/x-tar", "text/plain", ""]))) }
        let label = "\(method) \(target.prefix(80)) body=\(body.map { "\($0.count)B" } ?? "none")"

        switch random.int(0...19) {
        case 0:
            return .init(label: "random bytes", bytes: random.bytes(random.int(1...4096)))
        case 1:
            // A valid request cut anywhere (request line, headers, body).
            let full = Self.serialize(method, target, headers + [("Content-Length", String(body?.count ?? 0))], body ?? [])
            let cut = random.int(0...max(0, full.count - 1))
            return .init(label: "truncated at \(cut): " + label, bytes: Array(full.prefix(cut)))
        case 2:
            let big = String(repeating: "a", count: random.int(70_000...150_000))
            return .init(label: "huge header line: " + label,
                         bytes: Self.serialize(method, target, headers + [("X-Big", big)], body ?? []))
        case 3:
            let many = (0..<random.int(2000...12_000)).map { ("X-H\($0)", "v") }
            return .init(label: "many headers: " + label, bytes: Self.serialize(method, target, headers + many, body ?? []))
        case 4:
            let uri = target + "&" + String(repeating: "q", count: random.int(10_000...120_000))
            return .init(label: "huge URI: " + label, bytes: Self.serialize(method, uri, headers, body ?? []))
        case 5:
            // Content-Length larger than the body, then a half-close.
            let sent = body ?? random.bytes(random.int(0...100))
            let claimed = sent.count + random.int(1...Int(Int32.max))
            return .init(label: "long Content-Length \(claimed): " + label,
                         bytes: Self.serialize(method, target, headers + [("Content-Length", String(claimed))], sent, length: false))
        case 6:
            // Content-Length smaller than the body: the rest is read as the next request.
            let sent = (body ?? []) + random.bytes(random.int(1...300))
            return .init(label: "short Content-Length: " + label,
                         bytes: Self.serialize(method, target, headers + [("Content-Length", String(random.int(0...sent.count - 1)))],
                                               sent, length: false))
        case 7:
            let value = random.pick(["-1", "abc", "1 2", "0x10", "99999999999999999999999", "+5", "", "1,2", " 3 "])
            var extra = [("Content-Length", value)]
            if random.chance(0.5) { extra.append(("Content-Length", String(random.int(0...10)))) }
            if random.chance(0.3) { extra.append(("Transfer-Encoding", "chunked")) }
            return .init(label: "bad Content-Length '\(value)': " + label,
                         bytes: Self.serialize(method, target, headers + extra, body ?? [], length: false))
        case 8, 9:
            return .init(label: "malformed chunked: " + label,
                         bytes: Self.serialize(method, target, headers + [("Transfer-Encoding", "chunked")],
                                               malformedChunks(body ?? random.bytes(64)), length: false))
        case 10:
            return .init(label: "chunked: " + label,
                         bytes: Self.serialize(method, target, headers + [("Transfer-Encoding", "chunked")],
                                               chunks(body ?? []), length: false))
        case 11:
            return .init(label: "weird head: " + label, bytes: weirdHead(method, target))
        case 12:
            // Several requests in one write, some broken.
            var bytes: [UInt8] = []
            for _ in 0..<random.int(2...20) {
                bytes += random.chance(0.7)
                    ? Self.serialize("GET", random.pick(["/_ping", "/version", "/v1.41/info", "/containers/json"]), [("Host", "d")], [])
                    : random.bytes(random.int(1...100))
            }
            return .init(label: "pipelined", bytes: bytes)
        case 13:
            // Attach or exec start that asks to take over the connection, with a broken body.
            let path = random.pick(["/containers/\(ownName())/attach?stream=1&stdout=1", "/v1.41/exec/\(ownName())/start"])
            let hijackBody = random.chance(0.5) ? malformed(jsonText(depth: 2)) : random.bytes(random.int(0...100_000))
            return .init(label: "hijack \(path.prefix(60))",
                         bytes: Self.serialize("POST", path, [("Host", "d"), ("Connection", "Upgrade"), ("Upgrade", "tcp")],
                                               random.chance(0.5) ? chunks(hijackBody) : hijackBody,
                                               length: true))
        case 14:
            // A request left open: the daemon may wait for the rest; the connection closes after the timeout.
            let full = Self.serialize(method, target, headers + [("Content-Length", String((body?.count ?? 0) + 10))], body ?? [],
                                      length: false)
            return .init(label: "left open: " + label, bytes: full, mayWait: true)
        default:
            return .init(label: label, bytes: Self.serialize(method, target, headers, body ?? [], length: body != nil))
        }
    }

    static func serialize(_ method: String, _ target: String, _ headers: [(String, String)], _ body: [UInt8],
                          length: Bool = true) -> [UInt8] {
        var text = "\(method) \(target) HTTP/1.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if length { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        return Array(text.utf8) + body
    }

    mutating func chunks(_ body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var rest = body[...]
        while !rest.isEmpty {
            let size = min(rest.count, random.int(1...70_000))
            out += Array((String(size, radix: 16) + (random.chance(0.1) ? ";ext=1" : "") + "\r\n").utf8)
            out += rest.prefix(size)
            out += Array("\r\n".utf8)
            rest = rest.dropFirst(size)
        }
        return out + Array("0\r\n\r\n".utf8)
    }

    mutating func malformedChunks(_ body: [UInt8]) -> [UInt8] {
        let data = Array(body.prefix(4096))
        switch random.int(0...8) {
        case 0: return Array("zz\r\n".utf8) + data + Array("\r\n0\r\n\r\n".utf8)
        case 1: return Array("ffffffffffffffffff\r\n".utf8) + data
        case 2: return Array("\(String(data.count + 50, radix: 16))\r\n".utf8) + data
        case 3: return Array("\(String(data.count, radix: 16))\r\n".utf8) + data + Array("XX0\r\n\r\n".utf8)
        case 4: return Array("\(String(data.count, radix: 16))\n".utf8) + data + Array("\n0\n\n".utf8)
        case 5: return Array("-5\r\n".utf8) + data
        case 6: return Array(chunks(data).dropLast(random.int(1...5)))
        case 7: return Array("7fffffffffffffff\r\n".utf8) + data
        default: return chunks(data) + Array("Trailer-garbage\r\n\u{0}\r\n".utf8)
        }
    }

    mutating func weirdHead(_ method: String, _ target: String) -> [UInt8] {
        let text: String
        switch random.int(0...9) {
        case 0: text = "\(method) \(target) HTTP/0.9\r\n\r\n"
        case 1: text = "\(method) \(target) HTTP/2.0\r\nHost: d\r\n\r\n"
        case 2: text = "\(method) \(target)\r\n\r\n"
        case 3: text = "\(method)  \(target)  HTTP/1.1\r\nHost: d\r\n\r\n"
        case 4: text = "\(method) \(target) HTTP/1.1\r\nNo-Colon-Header\r\n\r\n"
        case 5: text = "\(method) \(target) HTTP/1.1\r\nX: a\r\n folded\r\n\r\n"
        case 6: text = "\(method) \(target) HTTP/1.1\r\nX: a\u{0}b\r\nY:\rZ\r\n\r\n"
        case 7: text = "\(method) \(target) HTTP/1.1\r\n: empty-name\r\n\r\n"
        case 8: text = "\(method) \(target) HTTP/1.1\nHost: d\n\n"
        default: text = "\(method) http://docker\(target) HTTP/1.1\r\nHost: d\r\n\r\n"
        }
        return Array(text.utf8)
    }
}
