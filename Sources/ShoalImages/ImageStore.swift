import Foundation
import Logging
import ShoalArchive
import ShoalCore
import ShoalOCI

/// The local image store. Layout under `root`:
/// `blobs/sha256/<hex>` (configs, manifests, layer blobs as received), `layers/<chainID hex>/diff` (unpacked
/// layers, shared by every image that has them), `state.json` (images, references, layers), `tmp/` (staging).
///
/// Work on files happens off the actor; records change only on the actor. Layers and blobs that no image
/// references are collected only when no load, import or pull is under way, so an operation never loses a layer
/// another one is about to reference.
public actor ImageStore {
    public let root: String
    /// The registries pulls and pushes speak plain HTTP to (`--insecure-registry`).
    public nonisolated let insecureRegistries: InsecureRegistries
    /// With `--userns-remap`, the user namespace its layers are unpacked for (nil: files keep the archive's ids).
    public nonisolated let idMapping: IDMapping?
    let logger: Logger
    let content: ContentStore
    var state: StoreState
    /// Decoded configs by image ID hex.
    var configs: [String: ImageConfiguration] = [:]
    /// Layers being unpacked, so two operations needing the same layer unpack it once.
    var unpacking: [Digest: Task<StoreState.Layer, any Error>] = [:]
    var activeOperations = 0

    var statePath: String { root + "/state.json" }
    var layersDirectory: String { root + "/layers" }
    var temporaryDirectory: String { root + "/tmp" }

    public init(root: String, insecureRegistries: InsecureRegistries = .loopbackOnly, idMapping: IDMapping? = nil,
                logger: Logger = Logger(label: "shoal.images")) throws {
        self.root = root
        self.idMapping = idMapping
        self.insecureRegistries = insecureRegistries
        self.logger = logger
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/layers", withIntermediateDirectories: true)
        // Staging from a previous run is garbage by definition.
        try? fm.removeItem(atPath: root + "/tmp")
        try fm.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
        let content = try ContentStore(root: root + "/blobs")
        content.removeStaleIngests()
        var state = try StoreState.load(from: root + "/state.json")
        var configs: [String: ImageConfiguration] = [:]
        for (hex, _) in state.images {
            guard let digest = try? Digest(hex: hex), let bytes = try? content.read(digest),
                  let config = try? JSONDecoder().decode(ImageConfiguration.self, from: Data(bytes)) else {
                logger.warning("dropping image with unreadable config", metadata: ["image": "\(hex)"])
                state.images[hex] = nil
                continue
            }
            configs[hex] = config
        }
        state.references = state.references.filter { state.images[$0.value.hex] != nil }
        // A layer directory the state does not know was left by a crash between unpack and commit.
        for name in (try? fm.contentsOfDirectory(atPath: root + "/layers")) ?? [] where state.layers[name] == nil {
            try? fm.removeItem(atPath: root + "/layers/" + name)
        }
        for (hex, _) in state.layers where !fm.fileExists(atPath: root + "/layers/" + hex + "/diff") {
            state.layers[hex] = nil
        }
        Self.sweep(&state, content: content, layersDirectory: root + "/layers")
        try state.save(to: root + "/state.json")
        self.content = content
        self.state = state
        self.configs = configs
    }

    // MARK: - Queries

    public func list() -> [ImageRecord] {
        state.images.values.map(record).sorted { $0.created > $1.created }
    }

    /// Looks an image up as Docker does: full or short ID (with or without `sha256:`), `name[:tag]`, `name@digest`.
    public func image(_ refOrID: String) throws -> ImageRecord {
        try record(state.images[resolve(refOrID).hex]!)
    }

    /// The image's layer directories, top-most first, ready for overlayfs `lowerdir=`.
    public func layerDirectories(for refOrID: String) throws -> [String] {
        let image = state.images[try resolve(refOrID).hex]!
        return image.layers.reversed().map { layersDirectory + "/" + $0.hex + "/diff" }
    }

    public func history(_ refOrID: String) throws -> [HistoryEntry] {
        let id = try resolve(refOrID)
        let image = state.images[id.hex]!
        let config = configs[id.hex]!
        var entries: [HistoryEntry] = []
        var layerIndex = 0
        for item in config.history ?? [] {
            var size: Int64 = 0
            if item.emptyLayer != true {
                guard layerIndex < image.layers.count else {
                    throw ShoalError.internalError("image \(id) has more history than layers")
                }
                size = state.layers[image.layers[layerIndex].hex]?.size ?? 0
                layerIndex += 1
            }
            entries.insert(HistoryEntry(id: "<missing>", created: item.created.flatMap(RFC3339.parse) ?? Date(timeIntervalSince1970: 0),
                                        createdBy: item.createdBy ?? "", tags: [], size: size,
                                        comment: item.comment ?? ""), at: 0)
        }
        if !entries.isEmpty {
            entries[0].id = id.description
            entries[0].tags = references(to: id).filter { $0.tag != nil }.map(\.familiarString).sorted()
        }
        return entries
    }

    public func diskUsage() -> ImageDiskUsage {
        var users: [String: Int] = [:]
        for image in state.images.values {
            for layer in Set(image.layers) { users[layer.hex, default: 0] += 1 }
        }
        let images = state.images.values.map { image in
            let shared = Set(image.layers).reduce(Int64(0)) { sum, layer in
                (users[layer.hex] ?? 0) > 1 ? sum + (state.layers[layer.hex]?.size ?? 0) : sum
            }
            return ImageDiskUsage.Image(record: record(image), sharedSize: shared)
        }
        return ImageDiskUsage(layersSize: state.layers.values.reduce(0) { $0 + $1.size }, images: images)
    }

    // MARK: - Tags

    /// `docker tag SOURCE TARGET`: TARGET (default tag `latest`) now names SOURCE's image.
    public func tag(_ source: String, _ target: String) throws {
        let id = try resolve(source)
        let reference = try ImageReference.parse(target)
        guard reference.digest == nil else {
            throw ShoalError.invalidArgument("refusing to create a tag with a digest reference")
        }
        state.references[reference.withDefaultTag.description] = id
        try persist()
    }

    // MARK: - Internals shared by the operations

    func record(_ image: StoreState.Image) -> ImageRecord {
        let config = configs[image.id.hex] ?? ImageConfiguration(rootfs: .init(diffIDs: []))
        let refs = references(to: image.id)
        let size = image.layers.reduce(Int64(0)) { $0 + (state.layers[$1.hex]?.size ?? 0) }
        return ImageRecord(
            id: image.id,
            repoTags: refs.filter { $0.tag != nil }.map(\.familiarString).sorted(),
            repoDigests: refs.compactMap { ref in ref.digest.map { ref.familiarName + "@" + $0.description } }.sorted(),
            parent: "",
            created: image.created,
            size: size,
            virtualSize: size,
            configuration: config,
            chainIDs: image.layers
        )
    }

    func references(to id: Digest) -> [ImageReference] {
        state.references.filter { $0.value == id }.keys.sorted().compactMap { try? ImageReference.parse($0) }
    }

    /// Docker's `GetImage` lookup order: a digest or full ID, then a reference, then an ID prefix.
    func resolve(_ refOrID: String) throws -> Digest {
        let hexPart = refOrID.hasPrefix("sha256:") ? String(refOrID.dropFirst(7)) : refOrID
        if hexPart.utf8.count == 64, let digest = try? Digest(hex: hexPart) {
            guard state.images[digest.hex] != nil else { throw ShoalError.notFound("No such image: \(digest)") }
            return digest
        }
        let reference = try ImageReference.parse(refOrID)
        if let id = state.references[reference.withDefaultTag.description] { return id }
        if !hexPart.isEmpty, hexPart.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) {
            let matches = state.images.keys.filter { $0.hasPrefix(hexPart) }
            if matches.count == 1, let id = state.images[matches[0]]?.id { return id }
        }
        throw ShoalError.notFound("No such image: \(reference.withDefaultTag.familiarString)")
    }

    func persist() throws {
        try state.save(to: statePath)
    }

    func beginOperation() { activeOperations += 1 }

    func endOperation() {
        activeOperations -= 1
        if activeOperations == 0 { collectGarbage() }
    }

    /// Removes layers no image uses and blobs no image or layer uses, unless an operation is under way.
    func collectGarbage() {
        guard activeOperations == 0 else { return }
        Self.sweep(&state, content: content, layersDirectory: layersDirectory)
        do { try persist() } catch { logger.error("cannot persist image store state: \(error)") }
    }

    static func sweep(_ state: inout StoreState, content: ContentStore, layersDirectory: String) {
        var usedLayers = Set<String>()
        var usedBlobs = Set<Digest>()
        for image in state.images.values {
            usedBlobs.insert(image.id)
            for layer in image.layers { usedLayers.insert(layer.hex) }
        }
        for (key, _) in state.references {
            if let digest = try? ImageReference.parse(key).digest { usedBlobs.insert(digest) }
        }
        for (hex, layer) in state.layers {
            if usedLayers.contains(hex) {
                usedBlobs.insert(layer.blob)
            } else {
                try? FileManager.default.removeItem(atPath: layersDirectory + "/" + hex)
                state.layers[hex] = nil
            }
        }
        for blob in content.all() where !usedBlobs.contains(blob) { content.delete(blob) }
    }

    func makeTemporaryDirectory(_ label: String) throws -> String {
        let path = temporaryDirectory + "/\(label)-" + Identifier.random().prefix(16)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
