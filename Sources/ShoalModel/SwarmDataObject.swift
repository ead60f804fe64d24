import Foundation

// Swarm secrets and configs as Docker's API (v1.41, `types/swarm` Secret and Config) shapes them. Docker's two types
// share every field but the secret's driver, and every rule but the secret's secrecy, so Shoal keeps one type with
// the kind beside it; the API layer renders each kind with Docker's own fields.

/// Which of Docker's two payload objects: Docker's word for it, as in its messages ("secret web not found").
public enum DataObjectKind: String, Codable, Sendable, CaseIterable {
    case secret
    case config
}

/// Docker's `Driver`: a secret's driver, or how a payload is templated.
public struct SwarmDriver: Codable, Sendable, Equatable {
    public var name: String
    public var options: [String: String]

    public init(name: String, options: [String: String] = [:]) {
        self.name = name
        self.options = options
    }
}

/// What `docker secret create` and `docker config create` set (Docker's SecretSpec and ConfigSpec).
public struct DataObjectSpec: Codable, Sendable, Equatable {
    public var name: String
    public var labels: [String: String]
    /// The payload. On create, what the user gave; on update, nil leaves it alone (any other value must equal the
    /// stored one: only labels change). Read back only for configs: a secret's payload is never shown again.
    public var data: Data?
    /// Secrets only: an external secret store's driver.
    public var driver: SwarmDriver?
    public var templating: SwarmDriver?

    public init(name: String, labels: [String: String] = [:], data: Data? = nil, driver: SwarmDriver? = nil,
                templating: SwarmDriver? = nil) {
        self.name = name
        self.labels = labels
        self.data = data
        self.driver = driver
        self.templating = templating
    }
}

/// A secret or a config as stored (`docker secret inspect`, `docker config inspect`).
public struct SwarmDataObject: Codable, Sendable, Equatable {
    public var kind: DataObjectKind
    public var id: String
    public var version: UInt64
    public var createdAt: Date
    public var updatedAt: Date
    public var spec: DataObjectSpec

    public init(kind: DataObjectKind, id: String, version: UInt64, createdAt: Date, updatedAt: Date,
                spec: DataObjectSpec) {
        self.kind = kind
        self.id = id
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.spec = spec
    }
}
