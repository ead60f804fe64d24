import Foundation

/// A local-driver volume: a directory `<data-root>/volumes/<name>/_data` the engine mounts into containers.
public struct VolumeRecord: Codable, Sendable, Equatable {
    public var name: String
    public var driver: String
    public var mountpoint: String
    public var created: Date
    public var labels: [String: String]
    public var options: [String: String]
    /// Created implicitly for one container (`-v /data` or an image VOLUME): pruned and removed with `rm -v`.
    public var anonymous: Bool

    public init(name: String, driver: String = "local", mountpoint: String, created: Date,
                labels: [String: String] = [:], options: [String: String] = [:], anonymous: Bool = false) {
        self.name = name
        self.driver = driver
        self.mountpoint = mountpoint
        self.created = created
        self.labels = labels
        self.options = options
        self.anonymous = anonymous
    }
}
