import Foundation
import HTTPTypes
import Hummingbird
import ShoalModel

/// `/images/…`: list, inspect, history, tag, remove, prune, load, save (`/images/get`), import and pull
/// (`/images/create`), push.
struct ImageRoutes<Context: RequestContext> {
    let backends: DockerBackends
    let spoolDirectory: String
    var images: any ImageBackend { backends.images }

    func add(to router: Router<Context>) {
        let group = router.group("images")
        group.get("json") { request, _ in try await list(request) }
        group.post("load") { request, _ in try await load(request) }
        group.get("get") { request, _ in try await save(Query(request).all("names")) }
        group.post("create") { request, _ in try await create(request) }
        group.post("prune") { request, _ in
            let filters = try Query(request).filters()
            try filters.validate(accepting: ["dangling", "label", "until"])
            let danglingOnly = filters["dangling"].first.map { $0 == "true" || $0 == "1" } ?? true
            let result = try await images.pruneImages(danglingOnly: danglingOnly)
            return Wire.json(PruneImagesWire(ImagesDeleted: result.deleted.map(\.wire),
                                             SpaceReclaimed: result.spaceReclaimed))
        }
        // Image names contain slashes: `/images/localhost:5000/x/y/json`. Hummingbird's recursive wildcard
        // captures the whole name; the last path component says what is asked.
        group.get("**") { request, context in try await named(request, context: context) }
        group.post("**") { request, context in try await named(request, context: context) }
        group.delete("**") { request, context in
            let name = context.parameters.getCatchAll().joined(separator: "/")
            let query = Query(request)
            let items = try await images.removeImage(name, force: query.bool("force"), prune: !query.bool("noprune"))
            return Wire.json(items.map(\.wire))
        }
    }

    private func named(_ request: Request, context: Context) async throws -> Response {
        var parts = context.parameters.getCatchAll().map(String.init)
        guard let action = parts.popLast(), !parts.isEmpty else { throw DockerAPIError(.notFound, "page not found") }
        let name = parts.joined(separator: "/")
        switch (request.method, action) {
        case (.get, "json"):
            return Wire.json(try await images.image(name).inspectWire)
        case (.get, "history"):
            let history = try await images.imageHistory(name)
            return Wire.json(history.map {
                ImageHistoryWire(Id: $0.id, Created: Int64($0.created.timeIntervalSince1970), CreatedBy: $0.createdBy,
                                 Tags: $0.tags.isEmpty ? nil : $0.tags, Size: $0.size, Comment: $0.comment)
            })
        case (.get, "get"):
            return try await save([name])
        case (.post, "tag"):
            let query = Query(request)
            guard let repo = query["repo"], !repo.isEmpty else {
                throw DockerAPIError.badRequest("repository name must have at least one component")
            }
            try await images.tagImage(name, repository: repo, tag: query["tag"].flatMap { $0.isEmpty ? nil : $0 })
            return Response(status: .created)
        case (.post, "push"):
            let tag = Query(request)["tag"].flatMap { $0.isEmpty ? nil : $0 }
            let reference = tag.map { name + ":" + $0 } ?? name
            let auth = try registryAuth(request)
            return try await progressStream { progress in
                try await images.pushImage(reference, auth: auth, progress: progress)
            }
        default:
            throw DockerAPIError(.notFound, "page not found")
        }
    }

    private func list(_ request: Request) async throws -> Response {
        let query = Query(request)
        let filters = try query.filters()
        try filters.validate(accepting: ["dangling", "label", "reference", "before", "since"])
        var list = try await images.listImages()
        if let dangling = filters["dangling"].first {
            let wantDangling = dangling == "true" || dangling == "1"
            list = list.filter { $0.repoTags.isEmpty == wantDangling }
        } else if !query.bool("all") {
            // Docker hides untagged intermediate images unless -a; Shoal has none, so all images are listed.
        }
        list = list.filter { filters.matchLabels($0.config.labels) }
        if !filters["reference"].isEmpty {
            list = list.compactMap { image in
                let tags = image.repoTags.filter { tag in filters["reference"].contains { ReferencePattern.matches($0, tag) } }
                guard !tags.isEmpty else { return nil }
                var image = image
                image.repoTags = tags
                return image
            }
        }
        for key in ["before", "since"] {
            guard let ref = filters[key].first else { continue }
            let pivot = try await images.image(ref).created
            list = list.filter { key == "before" ? $0.created < pivot : $0.created > pivot }
        }
        return Wire.json(list.sorted { $0.created > $1.created }.map(\.summaryWire))
    }

    private func load(_ request: Request) async throws -> Response {
        let file = try await request.spoolBody(into: spoolDirectory)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let lines = try await images.loadImages(fromFile: file)
        var body = ByteBuffer()
        for line in lines {
            body.writeBytes(Wire.encode(ProgressWire(ProgressMessage(stream: line + "\n"))))
            body.writeString("\n")
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    private func save(_ names: [String]) async throws -> Response {
        guard !names.isEmpty else { throw DockerAPIError.badRequest("no images specified") }
        let file = spoolDirectory + "/save-" + UUID().uuidString
        do {
            try await images.saveImages(names, toFile: file)
        } catch {
            try? FileManager.default.removeItem(atPath: file)
            throw error
        }
        return Response(
            status: .ok, headers: [.contentType: "application/x-tar"], body: .spooledFile(file))
    }

    /// `POST /images/create`: `fromImage` pulls, `fromSrc=-` imports the request body.
    private func create(_ request: Request) async throws -> Response {
        let query = Query(request)
        if let source = query["fromSrc"] {
            guard source == "-" else { throw DockerAPIError.badRequest("importing from a URL is not supported") }
            let file = try await request.spoolBody(into: spoolDirectory)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let id = try await images.importImage(
                fromFile: file, repository: query["repo"].flatMap { $0.isEmpty ? nil : $0 },
                tag: query["tag"].flatMap { $0.isEmpty ? nil : $0 }, changes: query.all("changes"),
                message: query["message"] ?? "")
            var body = ByteBuffer(bytes: Wire.encode(["status": id]))
            body.writeString("\n")
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        }
        guard let image = query["fromImage"], !image.isEmpty else {
            throw DockerAPIError.badRequest("fromImage or fromSrc is required")
        }
        let tag = query["tag"].flatMap { $0.isEmpty ? nil : $0 }
        let reference: String
        if let tag { reference = tag.hasPrefix("sha256:") ? image + "@" + tag : image + ":" + tag } else { reference = image }
        let auth = try registryAuth(request)
        return try await progressStream { progress in
            try await images.pullImage(reference, auth: auth, progress: progress)
        }
    }

    /// Streams progress messages as they come. As Docker does, the status line waits for the first message: an
    /// error before it (bad reference, unknown manifest, refused credentials) is a plain HTTP error that the CLI
    /// prints as "Error response from daemon: …"; an error after it is sent as an `error` message, which the CLI
    /// prints and turns into a failed exit.
    private func progressStream(_ work: @escaping @Sendable (@escaping @Sendable (ProgressMessage) -> Void) async throws -> Void)
        async throws -> Response {
        let (stream, continuation) = AsyncStream.makeStream(of: ProgressItem.self)
        Task {
            do {
                try await work { continuation.yield(.message($0)) }
            } catch {
                continuation.yield(.failed(error))
            }
            continuation.finish()
        }
        let items = ProgressItems(stream.makeAsyncIterator())
        let first = await items.next()
        if case .failed(let error)? = first { throw error }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody { writer in
                var item = first
                while let current = item {
                    let message: ProgressMessage
                    switch current {
                    case .message(let progress): message = progress
                    case .failed(let error): message = ProgressMessage(error: DockerAPIError(error).message)
                    }
                    var buffer = ByteBuffer(bytes: Wire.encode(ProgressWire(message)))
                    buffer.writeString("\n")
                    try await writer.write(buffer)
                    item = await items.next()
                }
                try await writer.finish(nil)
            })
    }

    /// `X-Registry-Auth`: base64url JSON credentials from the CLI's config.
    private func registryAuth(_ request: Request) throws -> RegistryAuth? {
        RegistryAuthHeader.text(of: request).flatMap(RegistryAuth.init(header:))
    }
}

/// `X-Registry-Auth`, the credentials the CLI sends with pulls, pushes and `--with-registry-auth`.
enum RegistryAuthHeader {
    /// The header as the client sent it (nil when absent or empty).
    static func text(of request: Request) -> String? {
        guard let header = request.headers[HTTPField.Name("X-Registry-Auth")!], !header.isEmpty else { return nil }
        return header
    }
}

enum ProgressItem: Sendable {
    case message(ProgressMessage)
    case failed(any Error)
}

/// The iterator of one progress stream, handed from the route (which reads the first item) to the response body
/// (which reads the rest): never used by two tasks at once.
final class ProgressItems: @unchecked Sendable {
    private var iterator: AsyncStream<ProgressItem>.Iterator

    init(_ iterator: AsyncStream<ProgressItem>.Iterator) { self.iterator = iterator }

    func next() async -> ProgressItem? { await iterator.next() }
}

struct PruneImagesWire: Encodable, Sendable {
    var ImagesDeleted: [ImageDeleteWire]
    var SpaceReclaimed: Int64
}

/// `docker images --filter reference=…`: shell-style globs against `name:tag`, or against the name alone.
enum ReferencePattern {
    static func matches(_ pattern: String, _ reference: String) -> Bool {
        if glob(pattern, reference) { return true }
        if let colon = reference.lastIndex(of: ":"), !reference[colon...].contains("/") {
            return glob(pattern, String(reference[..<colon]))
        }
        return false
    }

    static func glob(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        func match(_ i: Int, _ j: Int) -> Bool {
            if i == p.count { return j == t.count }
            if p[i] == "*" {
                var k = j
                while true {
                    if match(i + 1, k) { return true }
                    if k == t.count || t[k] == "/" { return false }
                    k += 1
                }
            }
            guard j < t.count, p[i] == "?" || p[i] == t[j] else { return false }
            return match(i + 1, j + 1)
        }
        return match(0, 0)
    }
}

extension Query {
    /// Every value of a repeated parameter (`names=a&names=b`).
    func all(_ name: String) -> [String] { multi[name] ?? [] }
}

/// Docker's AuthConfig, as in `X-Registry-Auth` and `POST /auth`.
struct AuthConfigWire: Decodable, Sendable {
    var username: String?
    var password: String?
    var serveraddress: String?
    var identitytoken: String?
}
