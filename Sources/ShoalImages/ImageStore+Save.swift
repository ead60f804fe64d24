import Foundation
import ShoalArchive
import ShoalCore
import ShoalOS
import ShoalOCI

/// `docker save`: writes the layout Docker 25 writes, an OCI image layout (oci-layout, index.json, blobs) with
/// Docker's manifest.json and repositories beside it, so both old and new `docker load` accept it. Layers go out
/// uncompressed, so each layer blob's digest is its diffID.
extension ImageStore {
    struct SaveItem: Sendable {
        var id: Digest
        var configBytes: [UInt8]
        var tags: [ImageReference]
        var layers: [StoreState.Layer]
    }

    public func save(_ refsOrIDs: [String], to path: String) async throws {
        let items = try saveItems(refsOrIDs)
        let content = self.content
        try await runBlocking {
            let writer = try ArchiveWriter(path: path)
            try Self.write(items, content: content, to: writer)
            try writer.finish()
        }
    }

    /// Streams the tarball to a descriptor (an HTTP response body) without closing it.
    public func save(_ refsOrIDs: [String], toFileDescriptor fd: Int32) async throws {
        let items = try saveItems(refsOrIDs)
        let content = self.content
        try await runBlocking {
            let writer = try ArchiveWriter(fileDescriptor: fd)
            try Self.write(items, content: content, to: writer)
            try writer.finish()
        }
    }

    /// Which images and tags: a tagged name saves that tag, a bare repository name every tag of it, an ID none.
    func saveItems(_ names: [String]) throws -> [SaveItem] {
        var order: [Digest] = []
        var tags: [Digest: [ImageReference]] = [:]
        for name in names {
            let reference = try? ImageReference.parse(name)
            var chosen: [ImageReference] = []
            if let reference, reference.digest == nil, reference.tag == nil {
                // A bare repository name saves every tag of that repository.
                chosen = state.references.keys.sorted().compactMap { key in
                    guard let ref = try? ImageReference.parse(key), ref.tag != nil, ref.name == reference.name
                    else { return nil }
                    return ref
                }
            }
            if chosen.isEmpty {
                let id = try resolve(name)
                if !order.contains(id) { order.append(id) }
                guard !isIDPrefix(id, name), let reference, reference.digest == nil else { continue }
                chosen = [reference.withDefaultTag]
            }
            for ref in chosen {
                guard let target = state.references[ref.description] else { continue }
                if !order.contains(target) { order.append(target) }
                if !tags[target, default: []].contains(ref) { tags[target, default: []].append(ref) }
            }
        }
        return try order.map { id in
            let image = state.images[id.hex]!
            let layers = try image.layers.map { chain -> StoreState.Layer in
                guard let layer = state.layers[chain.hex] else {
                    throw ShoalError.internalError("layer \(chain) of image \(id) is missing")
                }
                return layer
            }
            return SaveItem(id: id, configBytes: try content.read(id), tags: tags[id] ?? [], layers: layers)
        }
    }

    static func write(_ items: [SaveItem], content: ContentStore, to writer: ArchiveWriter) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var written = Set<Digest>()
        var index = ImageIndex(mediaType: MediaType.ociIndex, manifests: [])
        var dockerManifest: [DockerArchiveManifestEntry] = []
        var repositories: [String: [String: String]] = [:]
        func blob(_ digest: Digest, _ bytes: [UInt8]) throws {
            guard written.insert(digest).inserted else { return }
            try writer.write(path: "blobs/sha256/" + digest.hex, contents: bytes)
        }
        for item in items {
            try blob(item.id, item.configBytes)
            for layer in item.layers where !written.contains(layer.diffID) {
                written.insert(layer.diffID)
                try writer.write(path: "blobs/sha256/" + layer.diffID.hex, size: layer.uncompressedSize) { emit in
                    let reader = try DecompressedReader(path: content.path(for: layer.blob))
                    while true {
                        let chunk = try reader.read()
                        if chunk.isEmpty { break }
                        try emit(chunk)
                    }
                    guard try reader.finish() == layer.diffID else {
                        throw ShoalError.internalError("layer blob \(layer.blob) no longer matches \(layer.diffID)")
                    }
                }
            }
            let manifest = ImageManifest(
                mediaType: MediaType.ociManifest,
                config: Descriptor(mediaType: MediaType.ociConfig, digest: item.id, size: Int64(item.configBytes.count)),
                layers: item.layers.map {
                    Descriptor(mediaType: MediaType.ociLayer, digest: $0.diffID, size: $0.uncompressedSize)
                })
            let manifestBytes = Array(try encoder.encode(manifest))
            let manifestDigest = Digest.sha256(of: manifestBytes)
            try blob(manifestDigest, manifestBytes)
            let descriptor = Descriptor(mediaType: MediaType.ociManifest, digest: manifestDigest,
                                        size: Int64(manifestBytes.count))
            if item.tags.isEmpty {
                index.manifests.append(descriptor)
            }
            for tag in item.tags {
                var named = descriptor
                named.annotations = [Annotation.containerdImageName: tag.description, Annotation.refName: tag.tag ?? ""]
                index.manifests.append(named)
                if let top = item.layers.last {
                    repositories[tag.familiarName, default: [:]][tag.tag ?? "latest"] = top.diffID.hex
                }
            }
            dockerManifest.append(DockerArchiveManifestEntry(
                config: "blobs/sha256/" + item.id.hex,
                repoTags: item.tags.isEmpty ? nil : item.tags.map(\.familiarString),
                layers: item.layers.map { "blobs/sha256/" + $0.diffID.hex }))
        }
        try writer.write(path: "index.json", contents: Array(try encoder.encode(index)))
        try writer.write(path: "manifest.json", contents: Array(try encoder.encode(dockerManifest)))
        try writer.write(path: "oci-layout", contents: Array(try encoder.encode(OCILayoutFile())))
        if !repositories.isEmpty {
            try writer.write(path: "repositories", contents: Array(try encoder.encode(repositories)))
        }
    }
}
