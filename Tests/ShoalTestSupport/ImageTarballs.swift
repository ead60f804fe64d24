import Foundation
import ShoalCore

/// Builds `docker save` tarballs and OCI image layouts from directories (e.g. `BusyboxRootfs.make(at:)`) with GNU
/// tar, so image tests need no registry and no network. Tars are deterministic (sorted names, numeric owners,
/// mtime 0): the same input gives the same image ID.
public enum ImageTarballs {
    public enum Layer: Sendable {
        /// A directory to tar.
        case directory(String)
        /// A ready tar file (e.g. a hostile one a test built), used as is.
        case tarball(String)
    }

    public struct Image: Sendable {
        public var repoTags: [String]
        public var layers: [Layer]
        public var cmd: [String]
        public var env: [String]
        /// Replaces the true diffIDs in the config (to test verification).
        public var diffIDOverride: [Digest]?
        /// The image's HEALTHCHECK: its test and interval (nanoseconds).
        public var healthcheck: (test: [String], interval: Int64)?

        public init(repoTags: [String], layers: [Layer], cmd: [String] = ["/bin/sh"],
                    env: [String] = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                    diffIDOverride: [Digest]? = nil, healthcheck: (test: [String], interval: Int64)? = nil) {
            self.repoTags = repoTags
            self.layers = layers
            self.cmd = cmd
            self.env = env
            self.diffIDOverride = diffIDOverride
            self.healthcheck = healthcheck
        }
    }

    /// Tars `directory`'s contents deterministically; returns the tar's sha256 (its diffID).
    @discardableResult
    public static func layerTar(of directory: String, to path: String) async throws -> Digest {
        try await Shell.sh("tar --sort=name --numeric-owner --mtime=@0 -C '\(directory)' -cf '\(path)' .")
        return try fileDigest(path)
    }

    public static func fileDigest(_ path: String) throws -> Digest {
        Digest.sha256(of: try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A `docker save` tarball (manifest.json + repositories + `<id>/layer.tar`); returns the image IDs.
    @discardableResult
    public static func dockerSave(_ images: [Image], to path: String, work: String,
                                  gzip: Bool = false) async throws -> [Digest] {
        let root = work + "/docker-save"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var manifest: [[String: Any]] = []
        var repositories: [String: [String: String]] = [:]
        var ids: [Digest] = []
        for image in images {
            var layerPaths: [String] = []
            var diffIDs: [Digest] = []
            for layer in image.layers {
                let temporary = work + "/layer-\(UUID().uuidString).tar"
                let diffID: Digest
                switch layer {
                case let .directory(dir): diffID = try await layerTar(of: dir, to: temporary)
                case let .tarball(file):
                    try FileManager.default.copyItem(atPath: file, toPath: temporary)
                    diffID = try fileDigest(temporary)
                }
                let name = diffID.hex + "/layer.tar"
                try FileManager.default.createDirectory(atPath: root + "/" + diffID.hex, withIntermediateDirectories: true)
                if !FileManager.default.fileExists(atPath: root + "/" + name) {
                    try FileManager.default.moveItem(atPath: temporary, toPath: root + "/" + name)
                } else {
                    try FileManager.default.removeItem(atPath: temporary)
                }
                layerPaths.append(name)
                diffIDs.append(diffID)
            }
            let config = try configJSON(image, diffIDs: image.diffIDOverride ?? diffIDs)
            let id = Digest.sha256(of: config)
            try config.write(to: URL(fileURLWithPath: root + "/" + id.hex + ".json"))
            manifest.append(["Config": id.hex + ".json", "RepoTags": image.repoTags, "Layers": layerPaths])
            for tag in image.repoTags {
                let parts = tag.split(separator: ":")
                repositories[String(parts[0]), default: [:]][parts.count > 1 ? String(parts[1]) : "latest"] = diffIDs.last?.hex
            }
            ids.append(id)
        }
        try json(manifest).write(to: URL(fileURLWithPath: root + "/manifest.json"))
        try json(repositories).write(to: URL(fileURLWithPath: root + "/repositories"))
        try await Shell.sh("tar --sort=name --numeric-owner -C '\(root)' -c\(gzip ? "z" : "")f '\(path)' .")
        try FileManager.default.removeItem(atPath: root)
        return ids
    }

    /// An OCI image layout (oci-layout, index.json with name annotations, blobs); layers gzip-compressed unless
    /// `gzipLayers` is false. Returns the image IDs.
    @discardableResult
    public static func ociLayout(_ images: [Image], to path: String, work: String, gzipLayers: Bool = true,
                                 gzip: Bool = false) async throws -> [Digest] {
        let root = work + "/oci-layout"
        let blobs = root + "/blobs/sha256"
        try FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        func putBlob(_ data: Data) throws -> (Digest, Int) {
            let digest = Digest.sha256(of: data)
            try data.write(to: URL(fileURLWithPath: blobs + "/" + digest.hex))
            return (digest, data.count)
        }
        var manifests: [[String: Any]] = []
        var ids: [Digest] = []
        for image in images {
            var layers: [[String: Any]] = []
            var diffIDs: [Digest] = []
            for layer in image.layers {
                let temporary = work + "/layer-\(UUID().uuidString).tar"
                switch layer {
                case let .directory(dir): try await layerTar(of: dir, to: temporary)
                case let .tarball(file): try FileManager.default.copyItem(atPath: file, toPath: temporary)
                }
                diffIDs.append(try fileDigest(temporary))
                var file = temporary
                if gzipLayers {
                    try await Shell.sh("gzip -n '\(temporary)'")
                    file = temporary + ".gz"
                }
                let (digest, size) = try putBlob(try Data(contentsOf: URL(fileURLWithPath: file)))
                try FileManager.default.removeItem(atPath: file)
                layers.append([
                    "mediaType": gzipLayers ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.oci.image.layer.v1.tar",
                    "digest": digest.description, "size": size,
                ])
            }
            let (configDigest, configSize) = try putBlob(try configJSON(image, diffIDs: image.diffIDOverride ?? diffIDs))
            let manifest: [String: Any] = [
                "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": configDigest.description,
                           "size": configSize],
                "layers": layers,
            ]
            let (manifestDigest, manifestSize) = try putBlob(try json(manifest))
            let descriptor: [String: Any] = [
                "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifestDigest.description,
                "size": manifestSize,
            ]
            if image.repoTags.isEmpty { manifests.append(descriptor) }
            for tag in image.repoTags {
                var named = descriptor
                let full = tag.contains("/") ? tag : "docker.io/library/" + tag
                named["annotations"] = ["io.containerd.image.name": full,
                                        "org.opencontainers.image.ref.name": String(tag.split(separator: ":").last ?? "")]
                manifests.append(named)
            }
            ids.append(configDigest)
        }
        try json(["schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests])
            .write(to: URL(fileURLWithPath: root + "/index.json"))
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: root + "/oci-layout"))
        try await Shell.sh("tar --sort=name --numeric-owner -C '\(root)' -c\(gzip ? "z" : "")f '\(path)' .")
        try FileManager.default.removeItem(atPath: root)
        return ids
    }

    static func configJSON(_ image: Image, diffIDs: [Digest]) throws -> Data {
        var config: [String: Any] = ["Cmd": image.cmd, "Env": image.env]
        if let check = image.healthcheck { config["Healthcheck"] = ["Test": check.test, "Interval": check.interval] }
        return try json([
            "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
            "config": config,
            "rootfs": ["type": "layers", "diff_ids": diffIDs.map(\.description)],
            "history": diffIDs.indices.map { ["created": "2024-01-01T00:00:00Z", "created_by": "layer \($0)"] },
        ] as [String: Any])
    }

    static func json(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }
}
