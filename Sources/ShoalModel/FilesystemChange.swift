/// One entry of `docker diff` (`GET /containers/{id}/changes`): a path of the container's filesystem that its
/// writable layer modified, added or deleted, relative to its image.
public struct FilesystemChange: Sendable, Equatable, Codable {
    /// Docker's numbers: 0 modified, 1 added, 2 deleted.
    public enum Kind: Int, Sendable, Codable {
        case modified = 0
        case added = 1
        case deleted = 2
    }

    public var path: String
    public var kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }
}
