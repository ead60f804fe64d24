import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ShoalCore
import Synchronization

/// Credentials for one registry (`docker login`).
public struct RegistryCredentials: Sendable, Hashable {
    public var username: String
    public var password: String
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// A client of the OCI distribution API v2 for one registry host: manifests, blobs, uploads, with anonymous,
/// basic and bearer-token authentication (the `WWW-Authenticate` challenge is followed to the token endpoint).
/// Loopback registries are spoken to over plain HTTP, as Docker treats them as insecure registries, and so are
/// those the caller says are (`plainHTTP`: dockerd's `--insecure-registry`).
public final class RegistryClient: Sendable {
    public let domain: String
    let baseURL: String
    let credentials: RegistryCredentials?
    let http: HTTPClient
    /// Authorization header per scope, learnt from challenges.
    private let authorizations = Mutex<[String: String]>([:])

    /// Registries get their own client: connection attempts are not retried, so an unreachable registry fails at
    /// once (AsyncHTTPClient otherwise retries until the connect timeout), and the dial timeout is Docker's 30 s.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(30)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(domain: String, credentials: RegistryCredentials? = nil, plainHTTP: Bool? = nil,
                httpClient: HTTPClient = RegistryClient.sharedHTTPClient) {
        self.domain = domain
        self.credentials = credentials
        http = httpClient
        let host = domain == ImageReference.defaultDomain ? "registry-1.docker.io" : domain
        baseURL = (plainHTTP ?? Self.isLoopback(domain) ? "http://" : "https://") + host
    }

    /// A registry on this host's loopback (spoken to over plain HTTP, as Docker does).
    public static func isLoopback(_ domain: String) -> Bool {
        let host = host(of: domain)
        return host == "localhost" || host.hasPrefix("127.") || host == "::1"
    }

    /// The host part of a registry's `host[:port]` (an IPv6 address without its brackets).
    public static func host(of domain: String) -> String {
        if domain.hasPrefix("[") { return String(domain.dropFirst().prefix { $0 != "]" }) }
        if let colon = domain.firstIndex(of: ":") { return String(domain[..<colon]) }
        return domain
    }

    public struct Manifest: Sendable {
        public var bytes: [UInt8]
        public var digest: Digest
        public var mediaType: String
    }

    // MARK: - Login

    /// `docker login`: `GET /v2/` with the credentials, answering a basic or bearer challenge. Throws
    /// `permissionDenied` when the registry refuses them.
    public func checkLogin() async throws {
        let response = try await send(.GET, "/v2/", scope: "")
        _ = try? await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            if response.status == .unauthorized || response.status == .forbidden {
                throw ShoalError(.permissionDenied, "login attempt to \(baseURL)/v2/ failed with status: \(response.status.code) \(response.status.reasonPhrase)")
            }
            throw ShoalError(.unavailable, "login attempt to \(baseURL)/v2/ failed with status: \(response.status.code) \(response.status.reasonPhrase)")
        }
    }

    // MARK: - Manifests

    public func manifest(repository: String, reference: String) async throws -> Manifest {
        let accept = [MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest]
            .joined(separator: ", ")
        let response = try await send(.GET, "/v2/\(repository)/manifests/\(reference)", scope: pullScope(repository),
                                      headers: [("Accept", accept)])
        guard response.status == .ok else {
            let separator = reference.hasPrefix("sha256:") ? "@" : ":"
            throw try await error(response, notFound: "manifest for \(familiar(repository))\(separator)\(reference) not found",
                                  repository: repository, pull: true)
        }
        let bytes = try await body(response, limit: 16 << 20)
        let digest = Digest.sha256(of: bytes)
        if let header = response.headers.first(name: "Docker-Content-Digest"), let claimed = try? Digest(parsing: header),
           claimed != digest {
            throw ShoalError.invalidArgument("manifest verification failed for digest \(claimed)")
        }
        if let expected = try? Digest(parsing: reference), expected != digest {
            throw ShoalError.invalidArgument("manifest verification failed for digest \(expected)")
        }
        var mediaType = response.headers.first(name: "Content-Type") ?? ""
        if let parsed = try? JSONDecoder().decode(MediaTypeOnly.self, from: Data(bytes)), let declared = parsed.mediaType {
            mediaType = declared
        }
        return Manifest(bytes: bytes, digest: digest, mediaType: mediaType)
    }

    private struct MediaTypeOnly: Decodable { var mediaType: String? }

    /// Uploads a manifest under a tag; returns its digest.
    @discardableResult
    public func putManifest(repository: String, tag: String, bytes: [UInt8], mediaType: String) async throws -> Digest {
        let response = try await send(.PUT, "/v2/\(repository)/manifests/\(tag)", scope: pushScope(repository),
                                      headers: [("Content-Type", mediaType)], body: { .bytes(ByteBuffer(bytes: bytes)) })
        guard response.status == .created || response.status == .ok else {
            throw try await error(response, notFound: "repository \(repository) not found", repository: repository)
        }
        return Digest.sha256(of: bytes)
    }

    // MARK: - Blobs

    /// Downloads a blob into `writer`, reporting progress; the caller commits the writer (digest verification).
    public func fetchBlob(repository: String, digest: Digest, into writer: BlobWriter,
                          progress: @Sendable (Int64, Int64) -> Void) async throws {
        let response = try await send(.GET, "/v2/\(repository)/blobs/\(digest)", scope: pullScope(repository))
        guard response.status == .ok else {
            throw try await error(response, notFound: "blob \(digest) not found", repository: repository, pull: true)
        }
        let total = response.headers.first(name: "Content-Length").flatMap { Int64($0) } ?? -1
        var last = Date.distantPast
        for try await buffer in response.body {
            try buffer.withUnsafeReadableBytes { try writer.append($0) }
            if Date().timeIntervalSince(last) > 0.1 {
                last = Date()
                progress(writer.count, total)
            }
        }
        progress(writer.count, total)
    }

    public func blobExists(repository: String, digest: Digest) async throws -> Bool {
        let response = try await send(.HEAD, "/v2/\(repository)/blobs/\(digest)", scope: pushScope(repository))
        if response.status == .ok { return true }
        if response.status == .notFound { return false }
        throw try await error(response, notFound: "blob \(digest) not found", repository: repository)
    }

    /// Monolithic upload: POST to open an upload session, then PUT the whole blob with its digest.
    public func uploadBlob(repository: String, digest: Digest, fileAt path: String, size: Int64,
                           progress: @escaping @Sendable (Int64) -> Void) async throws {
        let start = try await send(.POST, "/v2/\(repository)/blobs/uploads/", scope: pushScope(repository),
                                   headers: [("Content-Length", "0")])
        guard start.status == .accepted, let location = start.headers.first(name: "Location") else {
            throw try await error(start, notFound: "repository \(repository) not found", repository: repository)
        }
        var url = location.hasPrefix("http") ? location : baseURL + location
        url += (url.contains("?") ? "&" : "?") + "digest=" + digest.description
        let response = try await send(.PUT, url, scope: pushScope(repository),
                                      headers: [("Content-Type", "application/octet-stream")]) {
            .stream(FileChunks(path: path, progress: progress), length: .known(size))
        }
        guard response.status == .created else {
            throw try await error(response, notFound: "upload of \(digest) failed", repository: repository)
        }
    }

    // MARK: - Transport and authentication

    func pullScope(_ repository: String) -> String { "repository:\(repository):pull" }
    func pushScope(_ repository: String) -> String { "repository:\(repository):pull,push" }

    /// Sends a request; on 401 answers the challenge (basic or bearer) once and retries.
    func send(_ method: HTTPMethod, _ pathOrURL: String, scope: String, headers: [(String, String)] = [],
              body: (() -> HTTPClientRequest.Body)? = nil) async throws -> HTTPClientResponse {
        let url = pathOrURL.hasPrefix("http") ? pathOrURL : baseURL + pathOrURL
        func make() -> HTTPClientRequest {
            var request = HTTPClientRequest(url: url)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let auth = authorizations.withLock({ $0[scope] }) { request.headers.replaceOrAdd(name: "Authorization", value: auth) }
            if let body { request.body = body() }
            return request
        }
        var response = try await execute(make(), url: url, method: method)
        if response.status == .unauthorized, let challenge = response.headers.first(name: "WWW-Authenticate") {
            _ = try? await response.body.collect(upTo: 1 << 20)
            let auth = try await authorize(challenge: challenge, scope: scope,
                                           request: "\(method.rawValue.capitalized) \"\(url)\"")
            authorizations.withLock { $0[scope] = auth }
            response = try await execute(make(), url: url, method: method)
        }
        return response
    }

    private func execute(_ request: HTTPClientRequest, url: String, method: HTTPMethod) async throws -> HTTPClientResponse {
        do {
            return try await http.execute(request, timeout: .seconds(600))
        } catch {
            // No `cause`: the message already says it, and the API shows a ShoalError's cause after its message.
            throw ShoalError(.unavailable, "\(method.rawValue.capitalized) \"\(url)\": \(transportMessage(error))")
        }
    }

    /// A transport failure as Go's net package words it, which is what Docker prints:
    /// `dial tcp 127.0.0.1:5000: connect: connection refused`.
    func transportMessage(_ error: any Error) -> String {
        var host = domain == ImageReference.defaultDomain ? "registry-1.docker.io" : domain
        if !host.contains(":") { host += baseURL.hasPrefix("https") ? ":443" : ":80" }
        if let io = error as? IOError {
            return "dial tcp \(host): connect: \(String(cString: strerror(io.errnoCode)).lowercased())"
        }
        if let http = error as? HTTPClientError, http == .connectTimeout {
            return "dial tcp \(host): i/o timeout"
        }
        // NIO's happy-eyeballs error lists every attempt; its text names the errno.
        let text = String(describing: error)
        for (code, name) in [(ECONNREFUSED, "connection refused"), (EHOSTUNREACH, "no route to host"),
                             (ENETUNREACH, "network is unreachable"), (ECONNRESET, "connection reset by peer")]
            where text.contains("errno: \(code)") {
            return "dial tcp \(host): connect: \(name)"
        }
        return text
    }

    /// Turns a `WWW-Authenticate` challenge into an Authorization header value. A refusal by the token endpoint
    /// is worded as Docker's (`Get "…/v2/": unauthorized: incorrect username or password`), `request` naming the
    /// request that was challenged.
    func authorize(challenge: String, scope: String, request challenged: String) async throws -> String {
        let parsed = Self.parseChallenge(challenge)
        if parsed.scheme == "basic" {
            guard let credentials else { throw ShoalError(.permissionDenied, "unauthorized: authentication required") }
            return Self.basic(credentials)
        }
        guard parsed.scheme == "bearer", let realm = parsed.parameters["realm"], var components = URLComponents(string: realm)
        else { throw ShoalError(.permissionDenied, "unsupported authentication challenge: \(challenge)") }
        var items = components.queryItems ?? []
        if let service = parsed.parameters["service"] { items.append(URLQueryItem(name: "service", value: service)) }
        // `docker login` asks for no scope at all (an empty `scope=` is not a scope).
        if let scope = parsed.parameters["scope"] ?? (scope.isEmpty ? nil : scope) {
            items.append(URLQueryItem(name: "scope", value: scope))
        }
        components.queryItems = items
        var request = HTTPClientRequest(url: components.string ?? realm)
        if let credentials { request.headers.add(name: "Authorization", value: Self.basic(credentials)) }
        let response = try await execute(request, url: realm, method: .GET)
        guard response.status == .ok else {
            let refusal = await tokenError(response)
            throw ShoalError(.permissionDenied, "\(challenged): \(refusal)")
        }
        struct Token: Decodable {
            var token: String?
            var access_token: String?
        }
        let token = try JSONDecoder().decode(Token.self, from: Data(try await body(response, limit: 1 << 20)))
        guard let value = token.token ?? token.access_token else {
            throw ShoalError(.permissionDenied, "token endpoint \(realm) returned no token")
        }
        return "Bearer " + value
    }

    /// A token endpoint's refusal as distribution's client reads it (registry/client/errors.go): Docker Hub's
    /// `{"details": …}` under `unauthorized` for a 401, else the registry error codes, else the status.
    private func tokenError(_ response: HTTPClientResponse) async -> String {
        struct Refusal: Decodable {
            struct Item: Decodable {
                var code: String?
                var message: String?
            }
            var details: String?
            var errors: [Item]?
        }
        let bytes = (try? await body(response, limit: 1 << 20)) ?? []
        let refusal = try? JSONDecoder().decode(Refusal.self, from: Data(bytes))
        if let details = refusal?.details, !details.isEmpty {
            return (response.status == .unauthorized ? "unauthorized: " : "unknown: ") + details
        }
        if let items = refusal?.errors, !items.isEmpty {
            return items.map { item in
                "\((item.code ?? "unknown").lowercased().replacingOccurrences(of: "_", with: " ")): \(item.message ?? "")"
            }.joined(separator: ", ")
        }
        if response.status == .unauthorized { return "unauthorized: authentication required" }
        return "token endpoint answered \(response.status.code) \(response.status.reasonPhrase)"
    }

    static func basic(_ credentials: RegistryCredentials) -> String {
        "Basic " + Data("\(credentials.username):\(credentials.password)".utf8).base64EncodedString()
    }

    /// `Bearer realm="…",service="…",scope="…"` → scheme and parameters.
    static func parseChallenge(_ header: String) -> (scheme: String, parameters: [String: String]) {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        let scheme = String(trimmed.prefix { $0 != " " }).lowercased()
        var parameters: [String: String] = [:]
        var rest = Substring(trimmed.dropFirst(scheme.count))
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                let end = rest.firstIndex(of: "\"") ?? rest.endIndex
                value = String(rest[..<end])
                rest = end < rest.endIndex ? rest[rest.index(after: end)...] : ""
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = String(rest[..<end])
                rest = rest[end...]
            }
            parameters[key] = value
        }
        return (scheme, parameters)
    }

    func body(_ response: HTTPClientResponse, limit: Int) async throws -> [UInt8] {
        var buffer = try await response.body.collect(upTo: limit)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    /// The repository as Docker names it in messages: `busybox`, `user/app`, `127.0.0.1:5000/ns/app`.
    func familiar(_ repository: String) -> String {
        ImageReference(domain: domain, path: repository).familiarName
    }

    /// A registry error in Docker's words (moby distribution/errors.go): the registry's first error code picks
    /// the phrasing, `<code>: <message>` from the body follows.
    func error(_ response: HTTPClientResponse, notFound: String, repository: String, pull: Bool = false)
        async throws -> ShoalError {
        struct Errors: Decodable {
            struct Item: Decodable {
                var code: String?
                var message: String?
            }
            var errors: [Item]?
        }
        let bytes = (try? await body(response, limit: 1 << 20)) ?? []
        let items = (try? JSONDecoder().decode(Errors.self, from: Data(bytes)))?.errors ?? []
        let detail = items.isEmpty ? "\(response.status.code) \(response.status.reasonPhrase)"
            : items.map { item in
                "\((item.code ?? "unknown").lowercased().replacingOccurrences(of: "_", with: " ")): \(item.message ?? "")"
            }.joined(separator: ", ")
        switch (items.first?.code, response.status) {
        case ("DENIED"?, _) where pull, (_, .forbidden) where pull:
            return ShoalError(.permissionDenied, "pull access denied for \(familiar(repository)), repository does not "
                + "exist or may require 'docker login': \(detail)")
        case ("NAME_UNKNOWN"?, _):
            return ShoalError(.notFound, "repository \(familiar(repository)) not found: \(detail)")
        case (_, .notFound):
            return ShoalError(.notFound, "\(notFound): \(detail)")
        case (_, .unauthorized), (_, .forbidden):
            return ShoalError(.permissionDenied, items.isEmpty ? "unauthorized: authentication required" : detail)
        default:
            return ShoalError(.unavailable, "registry \(domain) answered \(response.status.code): \(detail)")
        }
    }
}

/// A file read in 1 MiB chunks as an HTTP request body, reporting bytes sent.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let progress: @Sendable (Int64) -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle?
        let progress: @Sendable (Int64) -> Void
        var sent: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let handle, let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else {
                try? handle?.close()
                return nil
            }
            sent += Int64(data.count)
            progress(sent)
            return ByteBuffer(bytes: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(handle: FileHandle(forReadingAtPath: path), progress: progress)
    }
}

/// Pure pieces of the client exposed for tests.
public enum RegistryClientTestHooks {
    public static func parse(_ challenge: String) -> (scheme: String, parameters: [String: String]) {
        RegistryClient.parseChallenge(challenge)
    }
}
