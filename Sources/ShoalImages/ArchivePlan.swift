import Foundation
import ShoalArchive
import ShoalCore
import ShoalOCI

/// What an unpacked `docker save` tarball or OCI image layout holds, read and checked before anything is stored.
struct ArchivePlan: Sendable {
    struct Layer: Sendable {
        var path: String
        /// Known for OCI layouts (descriptor digest); docker-save tarballs name layers by path only.
        var blob: Digest?
        var mediaType: String?
    }

    struct Image: Sendable {
        var configBytes: [UInt8]
        var id: Digest
        var config: ImageConfiguration
        var layers: [Layer]
        var names: [ImageReference]
    }

    var images: [Image]

    static func read(staging root: String) throws -> ArchivePlan {
        let fm = FileManager.default
        if fm.fileExists(atPath: root + "/manifest.json") {
            return try readDockerSave(root)
        }
        if fm.fileExists(atPath: root + "/index.json") {
            return try readOCILayout(root)
        }
        throw ShoalError.invalidArgument("invalid image archive: no manifest.json or index.json found")
    }

    static func file(_ relative: String, in root: String) throws -> [UInt8] {
        let path = try TarPath.resolve(relative, inRoot: root)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ShoalError.invalidArgument("invalid image archive: missing \(relative)")
        }
        return Array(data)
    }

    static func regularFile(_ relative: String, in root: String) throws -> String {
        let path = try TarPath.resolve(relative, inRoot: root)
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw ShoalError.invalidArgument("invalid image archive: missing layer \(relative)")
        }
        return path
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], _ what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw ShoalError.invalidArgument("invalid image archive: cannot decode \(what): \(error)")
        }
    }

    static func image(configBytes: [UInt8], layers: [Layer], names: [ImageReference]) throws -> Image {
        let config = try decode(ImageConfiguration.self, configBytes, "image config")
        guard config.rootfs.diffIDs.count == layers.count else {
            throw ShoalError.invalidArgument(
                "invalid manifest, layers length mismatch: expected \(config.rootfs.diffIDs.count), got \(layers.count)")
        }
        return Image(configBytes: configBytes, id: Digest.sha256(of: configBytes), config: config, layers: layers,
                     names: names)
    }

    /// `docker save` format (Docker 1.10+): manifest.json lists config and layer paths per image.
    static func readDockerSave(_ root: String) throws -> ArchivePlan {
        let entries = try decode([DockerArchiveManifestEntry].self, file("manifest.json", in: root), "manifest.json")
        return ArchivePlan(images: try entries.map { entry in
            let layers = try entry.layers.map { Layer(path: try regularFile($0, in: root), blob: nil, mediaType: nil) }
            let names = try (entry.repoTags ?? []).map { try ImageReference.parse($0).withDefaultTag }
            return try image(configBytes: file(entry.config, in: root), layers: layers, names: names)
        })
    }

    /// OCI image layout: index.json → (index →) manifest → config and layers, every blob checked against its digest.
    static func readOCILayout(_ root: String) throws -> ArchivePlan {
        let index = try decode(ImageIndex.self, file("index.json", in: root), "index.json")
        var images: [Image] = []
        var byID: [Digest: Int] = [:]
        for descriptor in index.manifests {
            let manifestDescriptor: Descriptor
            if MediaType.isIndex(descriptor.mediaType) {
                let nested = try decode(ImageIndex.self, blob(descriptor, root), "image index")
                guard let picked = nested.manifest(for: .host) ?? (nested.manifests.count == 1 ? nested.manifests.first : nil)
                else {
                    throw ShoalError.notFound("no matching manifest for linux/amd64 in the manifest list entries")
                }
                manifestDescriptor = picked
            } else {
                manifestDescriptor = descriptor
            }
            let manifest = try decode(ImageManifest.self, blob(manifestDescriptor, root), "image manifest")
            let layers = try manifest.layers.map { layer -> Layer in
                guard isLayerMediaType(layer.mediaType) else {
                    throw ShoalError.invalidArgument("unsupported layer media type \(layer.mediaType)")
                }
                return Layer(path: try blobPath(layer.digest, root), blob: layer.digest, mediaType: layer.mediaType)
            }
            var names: [ImageReference] = []
            let annotations = descriptor.annotations ?? [:]
            if let name = annotations[Annotation.containerdImageName] {
                names.append(try ImageReference.parse(name).withDefaultTag)
            } else if let name = annotations[Annotation.refName], name.contains(":") || name.contains("/"),
                      let reference = try? ImageReference.parse(name) {
                names.append(reference.withDefaultTag)
            }
            let planned = try image(configBytes: blob(manifest.config, root), layers: layers, names: names)
            if let existing = byID[planned.id] {
                images[existing].names += names
            } else {
                byID[planned.id] = images.count
                images.append(planned)
            }
        }
        return ArchivePlan(images: images)
    }

    static func isLayerMediaType(_ type: String) -> Bool {
        [MediaType.ociLayer, MediaType.ociLayerGzip, MediaType.ociLayerZstd, MediaType.dockerLayer,
         MediaType.dockerLayerGzip, MediaType.dockerForeignLayerGzip, MediaType.ociLayerNondistributableGzip]
            .contains(type)
    }

    static func blobPath(_ digest: Digest, _ root: String) throws -> String {
        try regularFile("blobs/sha256/" + digest.hex, in: root)
    }

    static func blob(_ descriptor: Descriptor, _ root: String) throws -> [UInt8] {
        let bytes = try file("blobs/sha256/" + descriptor.digest.hex, in: root)
        guard Digest.sha256(of: bytes) == descriptor.digest else {
            throw ShoalError.invalidArgument("digest mismatch for blob \(descriptor.digest)")
        }
        return bytes
    }
}
