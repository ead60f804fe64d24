import Foundation
import ShoalCore
import ShoalDockerAPI
import ShoalEngine
import ShoalImages
import ShoalModel
import ShoalOCI

/// The Docker API's image backend over the image store; publishes image events.
struct ImageBackendAdapter: ImageBackend {
    let images: ImageStore
    let containers: ContainerService
    let events: EventBus

    private func usage() async -> @Sendable (Digest) -> [ImageUser] {
        let users = await containers.imageUsers()
        return { digest in (users[digest.description] ?? []).map { ImageUser(containerID: $0.id, running: $0.running) } }
    }

    private func publish(_ action: String, _ id: String, name: String? = nil) {
        var attributes: [String: String] = [:]
        if let name { attributes["name"] = name }
        events.publish(EngineEvent(kind: .image, action: action, actorID: id, attributes: attributes))
    }

    func listImages() async throws -> [ImageInfo] {
        let users = await containers.imageUsers()
        return await images.list().map { $0.info(containers: users[$0.id.description]?.count ?? 0) }
    }
    func image(_ ref: String) async throws -> ImageInfo { try await images.image(ref).info() }
    func imageHistory(_ ref: String) async throws -> [ImageHistoryEntry] {
        try await images.history(ref).map {
            ImageHistoryEntry(id: $0.id, created: $0.created, createdBy: $0.createdBy, tags: $0.tags, size: $0.size,
                              comment: $0.comment)
        }
    }
    func tagImage(_ ref: String, repository: String, tag: String?) async throws {
        let target = try Self.reference(repository: repository, tag: tag)
        try await images.tag(ref, target.description)
        publish("tag", try await images.image(ref).id.description, name: target.familiarString)
    }

    /// Docker's `RepoTagReference`: `repo` may carry a tag of its own; a separate `tag` replaces it; neither
    /// means `latest`.
    static func reference(repository: String, tag: String?) throws -> ImageReference {
        let parsed = try ImageReference.parse(repository)
        if let tag, !tag.isEmpty {
            guard parsed.digest == nil else {
                throw ShoalError.invalidArgument("refusing to create a tag with a digest reference")
            }
            return parsed.tagged(tag)
        }
        return parsed.withDefaultTag
    }
    func removeImage(_ ref: String, force: Bool, prune: Bool) async throws -> [ImageDeleteItem] {
        let imageID = try await images.image(ref).id.description
        let results = try await images.remove(ref, force: force, prune: prune, usage: await usage())
        return publishRemovals(results, imageIDs: [imageID])
    }
    func pruneImages(danglingOnly: Bool) async throws -> (deleted: [ImageDeleteItem], spaceReclaimed: Int64) {
        let imageIDs = Set(await images.list().map(\.id.description))
        let result = try await images.prune(all: !danglingOnly, usage: await usage())
        return (publishRemovals(result.deleted, imageIDs: imageIDs), result.spaceReclaimed)
    }

    /// Docker's events for a removal: `untag` per name and `delete` per image, both with the image ID as actor
    /// (removed layers are listed in the answer but are not events). Untags precede their image's delete.
    private func publishRemovals(_ results: [RemoveResult], imageIDs: Set<String>) -> [ImageDeleteItem] {
        var untagged: [String] = []
        for result in results {
            switch result {
            case .untagged(let name): untagged.append(name)
            case .deleted(let id) where imageIDs.contains(id):
                for name in untagged { publish("untag", id, name: name) }
                untagged = []
                publish("delete", id, name: id)
            case .deleted: break
            }
        }
        if !untagged.isEmpty, let id = imageIDs.first, imageIDs.count == 1 {
            for name in untagged { publish("untag", id, name: name) }
        }
        return results.map {
            switch $0 {
            case .untagged(let name): .untagged(name)
            case .deleted(let id): .deleted(id)
            }
        }
    }
    func loadImages(fromFile path: String) async throws -> [String] {
        let results = try await images.load(tarballAt: path)
        for result in results { publish("load", result.imageID.description, name: result.reference) }
        return results.map(\.message)
    }
    func saveImages(_ refs: [String], toFile path: String) async throws {
        try await images.save(refs, to: path)
        for ref in refs { publish("save", ref, name: ref) }
    }
    func importImage(fromFile path: String, repository: String?, tag: String?, changes: [String], message: String)
        async throws -> String {
        let config = try ImageChanges.apply(changes)
        let reference = try repository.map { try Self.reference(repository: $0, tag: tag) }
        let record = try await images.importRootfs(tarAt: path, reference: reference?.description, changes: config,
                                                   message: message)
        publish("import", record.id.description, name: reference?.familiarString)
        return record.id.description
    }
    func pullImage(_ reference: String, auth: RegistryAuth?, progress: @escaping @Sendable (ProgressMessage) -> Void)
        async throws {
        let record = try await images.pull(reference, credentials: auth?.credentials) { event in
            progress(ProgressMessage(id: event.id, status: event.status, current: event.current, total: event.total))
        }
        publish("pull", record.id.description, name: reference)
    }
    func pushImage(_ reference: String, auth: RegistryAuth?, progress: @escaping @Sendable (ProgressMessage) -> Void)
        async throws {
        try await images.push(reference, credentials: auth?.credentials) { event in
            progress(ProgressMessage(id: event.id, status: event.status, current: event.current, total: event.total))
        }
        publish("push", reference, name: reference)
    }
    func login(_ auth: RegistryAuth) async throws -> String {
        guard let credentials = auth.credentials else {
            throw ShoalError.invalidArgument("username and password are required")
        }
        var server = auth.serverAddress ?? ImageReference.defaultDomain
        for scheme in ["https://", "http://"] where server.hasPrefix(scheme) { server.removeFirst(scheme.count) }
        if let slash = server.firstIndex(of: "/") { server = String(server[..<slash]) }
        if server == "index.docker.io" { server = ImageReference.defaultDomain }
        try await RegistryClient(domain: server, credentials: credentials,
                                 plainHTTP: images.insecureRegistries.contains(domain: server)).checkLogin()
        return "Login Succeeded"
    }
}

extension RegistryAuth {
    var credentials: RegistryCredentials? {
        guard let username, let password, !username.isEmpty else { return nil }
        return RegistryCredentials(username: username, password: password)
    }
}

extension ImageRecord {
    func info(containers: Int = -1) -> ImageInfo {
        let config = self.config
        var runtime = ImageRuntimeConfig()
        runtime.user = config.user ?? ""
        runtime.env = config.env ?? []
        runtime.cmd = config.cmd
        runtime.entrypoint = config.entrypoint
        runtime.workingDir = config.workingDir ?? ""
        runtime.exposedPorts = (config.exposedPorts ?? [:]).keys.sorted()
        runtime.volumes = (config.volumes ?? [:]).keys.sorted()
        runtime.labels = config.labels ?? [:]
        runtime.stopSignal = config.stopSignal
        runtime.healthcheck = config.healthcheck?.config
        return ImageInfo(
            id: id.description, repoTags: repoTags, repoDigests: repoDigests, parent: parent, comment: comment,
            created: created, author: author, architecture: architecture, os: os, size: size, config: runtime,
            layers: diffIDs.map(\.description), containers: containers)
    }
}
