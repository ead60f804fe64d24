import Foundation
import ShoalCore
import ShoalOCI

/// An image as `docker images` and `docker image inspect` see it.
public struct ImageRecord: Sendable, Hashable {
    /// The digest of the config blob (Docker's image ID).
    public var id: Digest
    /// Familiar `name:tag` strings, sorted.
    public var repoTags: [String]
    /// Familiar `name@sha256:…` strings (manifest digests from a registry), sorted.
    public var repoDigests: [String]
    /// Always "" here: only images built locally have parents in Docker.
    public var parent: String
    public var created: Date
    /// Bytes of all layers on disk (Docker reports the same number as size and virtual size).
    public var size: Int64
    public var virtualSize: Int64
    /// The full config blob, decoded.
    public var configuration: ImageConfiguration
    /// Chain IDs of the layers, bottom first.
    public var chainIDs: [Digest]

    public var config: ContainerConfig { configuration.config ?? ContainerConfig() }
    public var diffIDs: [Digest] { configuration.rootfs.diffIDs }
    public var architecture: String { configuration.architecture }
    public var os: String { configuration.os }
    public var author: String { configuration.author ?? "" }
    public var comment: String { configuration.comment ?? "" }
}

/// One line of `docker load` output.
public struct LoadResult: Sendable, Hashable {
    public var imageID: Digest
    /// Familiar `name:tag`, or nil when the image came without a name.
    public var reference: String?

    /// As Docker prints it: "Loaded image: busybox:latest" or "Loaded image ID: sha256:…".
    public var message: String {
        if let reference { return "Loaded image: \(reference)" }
        return "Loaded image ID: \(imageID)"
    }
}

/// One item of Docker's `DELETE /images/{name}` response.
public enum RemoveResult: Sendable, Hashable {
    case untagged(String)
    case deleted(String)
}

/// A container that uses an image, as the engine reports it for conflict checks.
public struct ImageUser: Sendable, Hashable {
    public var containerID: String
    public var running: Bool
    public init(containerID: String, running: Bool) {
        self.containerID = containerID
        self.running = running
    }
}

public struct PruneResult: Sendable, Hashable {
    public var deleted: [RemoveResult]
    public var spaceReclaimed: Int64
}

/// One line of `docker history`, newest first.
public struct HistoryEntry: Sendable, Hashable {
    public var id: String
    public var created: Date
    public var createdBy: String
    public var tags: [String]
    public var size: Int64
    public var comment: String
}

/// What `docker system df` needs about images.
public struct ImageDiskUsage: Sendable {
    public struct Image: Sendable {
        public var record: ImageRecord
        /// Bytes of layers this image shares with at least one other image.
        public var sharedSize: Int64
    }

    /// Bytes of all layers on disk, each counted once.
    public var layersSize: Int64
    public var images: [Image]
}
