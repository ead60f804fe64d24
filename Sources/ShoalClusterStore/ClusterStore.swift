import Foundation

/// ShoalClusterStore: the cluster state's storage seam. Managers keep swarm objects through `ClusterStore`, on
/// etcd (`EtcdClusterStore`); an in-memory version for orchestrator unit tests comes with the first of them. It
/// knows keys, bytes and revisions only; what the bytes mean belongs to ShoalManager. Workers never link this
/// module (DESIGN §3).

/// A key's current value and the store revisions that created and last changed it.
public struct StoredValue: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]
    public var createRevision: Int64
    public var modRevision: Int64

    public init(key: String, value: [UInt8], createRevision: Int64, modRevision: Int64) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
    }
}

/// A guard of a transaction.
public enum StoreCondition: Sendable, Equatable {
    /// The key does not exist.
    case absent(String)
    /// The key was last changed at this revision (compare-and-swap).
    case modRevision(String, Int64)
}

public enum StoreChange: Sendable, Equatable {
    case put(String, [UInt8])
    case delete(String)
    case deletePrefix(String)
}

public protocol ClusterStore: Sendable {
    func get(_ key: String) async throws -> StoredValue?
    /// Every key under `prefix`, in key order.
    func list(prefix: String) async throws -> [StoredValue]
    /// Applies every change atomically when every condition holds; returns whether it did.
    @discardableResult
    func commit(_ changes: [StoreChange], if conditions: [StoreCondition]) async throws -> Bool
}
