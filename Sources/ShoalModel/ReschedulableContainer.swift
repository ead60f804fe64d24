import Foundation

/// A container the cluster endpoint re-creates elsewhere when its node is Down (`-e reschedule:on-node-failure`),
/// as the managers keep it in the store.
public struct ReschedulableContainer: Sendable, Equatable {
    public var id: String
    public var name: String
    public var nodeID: String
    public var createBody: Data
    public var createQuery: String

    public init(id: String, name: String, nodeID: String, createBody: Data, createQuery: String) {
        self.id = id
        self.name = name
        self.nodeID = nodeID
        self.createBody = createBody
        self.createQuery = createQuery
    }
}
