import Foundation

/// One engine event, as `docker events` shows it (type, action, actor id and attributes, time).
public struct EngineEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case container, image, volume, network, daemon }

    public var kind: Kind
    public var action: String
    public var actorID: String
    public var attributes: [String: String]
    /// Nanoseconds since the Unix epoch (Docker's `timeNano`).
    public var timeNano: Int64

    public init(kind: Kind, action: String, actorID: String, attributes: [String: String] = [:],
                time: Date = Date()) {
        self.kind = kind
        self.action = action
        self.actorID = actorID
        self.attributes = attributes
        self.timeNano = Int64(time.timeIntervalSince1970 * 1_000_000_000)
    }
}
