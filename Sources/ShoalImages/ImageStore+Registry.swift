import Foundation
import ShoalCore
import ShoalOCI

/// One line of Docker's pull/push JSON progress stream (`{"status":…,"progressDetail":{…},"id":…}`).
public struct ProgressEvent: Sendable, Hashable {
    public var status: String
    /// Short layer ID, or the tag for "Pulling from".
    public var id: String?
    public var current: Int64?
    public var total: Int64?

    public init(status: String, id: String? = nil, current: Int64? = nil, total: Int64? = nil) {
        self.status = status
        self.id = id
        self.current = current
        self.total = total
    }
}

extension ImageStore {
    /// `docker pull`: manifest (a list or index picks `platform`), config and layers, each blob verified against
    /// its digest before it is kept; layers already present are not downloaded again.
    public func pull(_ reference: String, credentials: RegistryCredentials? = nil, platform: Platform = .host,
                     progress: @escaping @Sendable (ProgressEvent) -> Void = { _ in }) async throws -> ImageRecord {
        let ref = try ImageReference.parse(reference).withDefaultTag
        let client = RegistryClient(domain: ref.domain, credentials: credentials,
                                    plainHTTP: insecureRegistries.contains(domain: ref.domain))
        let content = self.content
        beginOperation()
        defer { endOperation() }
        let top = try await client.manifest(repository: ref.path, reference: ref.digest?.description ?? ref.tag ?? "latest")
        // After the manifest, as Docker: an unknown tag or refused credentials fail before any progress is sent.
        progress(ProgressEvent(status: "Pulling from \(ref.path)", id: ref.tag ?? ref.digest?.description))
        var chosen = top
        if MediaType.isIndex(top.mediaType) {
            let index = try JSONDecoder().decode(ImageIndex.self, from: Data(top.bytes))
            guard let entry = index.manifest(for: platform) else {
                throw ShoalError.notFound(
                    "no matching manifest for \(platform.os)/\(platform.architecture) in the manifest list entries")
            }
            chosen = try await client.manifest(repository: ref.path, reference: entry.digest.description)
        }
        let manifest: ImageManifest
        do {
            manifest = try JSONDecoder().decode(ImageManifest.self, from: Data(chosen.bytes))
        } catch {
            throw ShoalError.invalidArgument("unsupported manifest format \(chosen.mediaType) for \(ref.familiarString)")
        }
        try await Self.download(client, content, ref.path, manifest.config.digest) { _, _ in }
        let configBytes = try content.read(manifest.config.digest)
        let config = try JSONDecoder().decode(ImageConfiguration.self, from: Data(configBytes))
        let diffIDs = config.rootfs.diffIDs
        guard diffIDs.count == manifest.layers.count else {
            throw ShoalError.invalidArgument("invalid manifest: \(manifest.layers.count) layers, \(diffIDs.count) diff IDs")
        }
        let chain = ChainID.chain(diffIDs)
        for (index, layer) in manifest.layers.enumerated() {
            let exists = state.layers[chain[index].hex] != nil
            progress(ProgressEvent(status: exists ? "Already exists" : "Pulling fs layer", id: layer.digest.shortHex))
        }
        let unpacker = self.unpacker
        for (index, layer) in manifest.layers.enumerated() where state.layers[chain[index].hex] == nil {
            let short = layer.digest.shortHex
            try await Self.download(client, content, ref.path, layer.digest) { current, total in
                progress(ProgressEvent(status: "Downloading", id: short, current: current, total: total))
            }
            progress(ProgressEvent(status: "Verifying Checksum", id: short))
            progress(ProgressEvent(status: "Download complete", id: short))
            progress(ProgressEvent(status: "Extracting", id: short, current: layer.size, total: layer.size))
            let parent = index > 0 ? chain[index - 1] : nil
            let diffID = diffIDs[index]
            try await ensureLayer(chainID: chain[index]) {
                try unpacker.unpack(blob: layer.digest, mediaType: layer.mediaType, parent: parent, expectedDiffID: diffID)
            }
            progress(ProgressEvent(status: "Pull complete", id: short))
        }
        try content.write(top.bytes, expected: top.digest)
        if chosen.digest != top.digest { try content.write(chosen.bytes, expected: chosen.digest) }
        let id = manifest.config.digest
        let upToDate = state.images[id.hex] != nil && (ref.tag == nil || state.references[ref.description] == id)
        addImage(id: id, config: config, layers: chain)
        if ref.tag != nil { state.references[ref.description] = id }
        state.references[ref.repository.digested(top.digest).description] = id
        try persist()
        progress(ProgressEvent(status: "Digest: \(top.digest)"))
        progress(ProgressEvent(status: "Status: \(upToDate ? "Image is up to date for" : "Downloaded newer image for") \(ref.familiarString)"))
        return record(state.images[id.hex]!)
    }

    /// Downloads a blob into the content store unless it is there; its digest is verified before it is kept.
    nonisolated static func download(_ client: RegistryClient, _ content: ContentStore, _ repository: String,
                                     _ digest: Digest, progress: @escaping @Sendable (Int64, Int64) -> Void) async throws {
        guard !content.contains(digest) else { return }
        let writer = try BlobWriter(store: content, expected: digest)
        do {
            try await client.fetchBlob(repository: repository, digest: digest, into: writer, progress: progress)
            try writer.commit()
        } catch {
            writer.abort()
            throw error
        }
    }

    /// `docker push NAME[:TAG]`: uploads missing layer blobs and the config, then the manifest (Docker schema 2,
    /// or OCI when a layer is zstd). Returns the manifest digest, also recorded as a repo digest.
    @discardableResult
    public func push(_ reference: String, credentials: RegistryCredentials? = nil,
                     progress: @escaping @Sendable (ProgressEvent) -> Void = { _ in }) async throws -> Digest {
        let ref = try ImageReference.parse(reference).withDefaultTag
        guard let tag = ref.tag, ref.digest == nil else {
            throw ShoalError.invalidArgument("cannot push a digest reference")
        }
        guard let id = state.references[ref.description], let image = state.images[id.hex] else {
            throw ShoalError.notFound("An image does not exist locally with the tag: \(ref.familiarName)")
        }
        let layers = try image.layers.map { chain -> StoreState.Layer in
            guard let layer = state.layers[chain.hex] else { throw ShoalError.internalError("layer \(chain) is missing") }
            return layer
        }
        let client = RegistryClient(domain: ref.domain, credentials: credentials,
                                    plainHTTP: insecureRegistries.contains(domain: ref.domain))
        let content = self.content
        beginOperation()
        defer { endOperation() }
        progress(ProgressEvent(status: "The push refers to repository [\(ref.name)]"))
        for layer in layers.reversed() { progress(ProgressEvent(status: "Preparing", id: layer.blob.shortHex)) }
        for layer in layers.reversed() {
            let short = layer.blob.shortHex
            if try await client.blobExists(repository: ref.path, digest: layer.blob) {
                progress(ProgressEvent(status: "Layer already exists", id: short))
                continue
            }
            let total = layer.blobSize
            try await client.uploadBlob(repository: ref.path, digest: layer.blob, fileAt: content.path(for: layer.blob),
                                        size: total) { sent in
                progress(ProgressEvent(status: "Pushing", id: short, current: sent, total: total))
            }
            progress(ProgressEvent(status: "Pushed", id: short))
        }
        let configSize = content.size(of: id) ?? 0
        if try await !client.blobExists(repository: ref.path, digest: id) {
            try await client.uploadBlob(repository: ref.path, digest: id, fileAt: content.path(for: id), size: configSize) { _ in }
        }
        let oci = layers.contains { $0.blobMediaType == MediaType.ociLayerZstd }
        let manifest = ImageManifest(
            mediaType: oci ? MediaType.ociManifest : MediaType.dockerManifest,
            config: Descriptor(mediaType: oci ? MediaType.ociConfig : MediaType.dockerConfig, digest: id, size: configSize),
            layers: layers.map { Descriptor(mediaType: Self.layerMediaType($0.blobMediaType, oci: oci), digest: $0.blob, size: $0.blobSize) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = Array(try encoder.encode(manifest))
        let digest = try await client.putManifest(repository: ref.path, tag: tag, bytes: bytes,
                                                  mediaType: manifest.mediaType ?? MediaType.dockerManifest)
        try content.write(bytes, expected: digest)
        state.references[ref.repository.digested(digest).description] = id
        try persist()
        progress(ProgressEvent(status: "\(tag): digest: \(digest) size: \(bytes.count)"))
        return digest
    }

    static func layerMediaType(_ stored: String, oci: Bool) -> String {
        let gzip = stored.hasSuffix("gzip")
        let zstd = stored.hasSuffix("zstd")
        if oci { return zstd ? MediaType.ociLayerZstd : gzip ? MediaType.ociLayerGzip : MediaType.ociLayer }
        return gzip ? MediaType.dockerLayerGzip : MediaType.dockerLayer
    }
}
