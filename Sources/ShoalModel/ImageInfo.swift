import Foundation

/// An image as the engine presents it (the image store's record, seen from the API).
public struct ImageInfo: Codable, Sendable, Equatable {
    public var id: String
    public var repoTags: [String]
    public var repoDigests: [String]
    public var parent: String
    public var comment: String
    public var created: Date
    public var author: String
    public var architecture: String
    public var os: String
    public var size: Int64
    public var config: ImageRuntimeConfig
    public var layers: [String]
    /// Number of containers using the image (-1 when not computed, as Docker).
    public var containers: Int
    /// Bytes of layers this image shares with other images (`docker system df`); -1 when not computed.
    public var sharedSize: Int64 = -1

    public init(id: String, repoTags: [String], repoDigests: [String], parent: String = "", comment: String = "",
                created: Date, author: String = "", architecture: String, os: String, size: Int64,
                config: ImageRuntimeConfig, layers: [String], containers: Int = -1) {
        self.id = id
        self.repoTags = repoTags
        self.repoDigests = repoDigests
        self.parent = parent
        self.comment = comment
        self.created = created
        self.author = author
        self.architecture = architecture
        self.os = os
        self.size = size
        self.config = config
        self.layers = layers
        self.containers = containers
    }
}

/// The part of an image's configuration that shapes a container run from it.
public struct ImageRuntimeConfig: Codable, Sendable, Equatable {
    public var user: String = ""
    public var env: [String] = []
    public var cmd: [String]? = nil
    public var entrypoint: [String]? = nil
    public var workingDir: String = ""
    public var exposedPorts: [String] = []
    public var volumes: [String] = []
    public var labels: [String: String] = [:]
    public var stopSignal: String? = nil
    public var healthcheck: HealthConfig? = nil

    public init() {}
}

public struct ImageHistoryEntry: Codable, Sendable, Equatable {
    public var id: String
    public var created: Date
    public var createdBy: String
    public var tags: [String]
    public var size: Int64
    public var comment: String

    public init(id: String, created: Date, createdBy: String, tags: [String], size: Int64, comment: String) {
        self.id = id
        self.created = created
        self.createdBy = createdBy
        self.tags = tags
        self.size = size
        self.comment = comment
    }
}

/// One line of `docker rmi`'s answer.
public enum ImageDeleteItem: Sendable, Equatable {
    case untagged(String)
    case deleted(String)
}
