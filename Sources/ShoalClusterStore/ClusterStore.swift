import Foundation
import Synchronization

/// ShoalClusterStore: the cluster state's storage seam. Managers keep swarm objects through `ClusterStore`: etcd
/// in a cluster (`EtcdClusterStore`), memory in unit tests (`InMemoryClusterStore`). It knows keys, bytes and
/// revisions only; what the bytes mean belongs to ShoalManager. Workers never link this module (DESIGN §3).

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

/// The whole store in a dictionary, with etcd's revision rules (one revision per committed transaction).
public final class InMemoryClusterStore: ClusterStore {
    private struct State {
        var values: [String: StoredValue] = [:]
        var revision: Int64 = 1
    }

    private let state = Mutex(State())

    public init() {}

    public func get(_ key: String) async throws -> StoredValue? { state.withLock { $0.values[key] } }

    public func list(prefix: String) async throws -> [StoredValue] {
        state.withLock { state in state.values.values.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key } }
    }

    public func commit(_ changes: [StoreChange], if conditions: [StoreCondition]) async throws -> Bool {
        state.withLock { state in
            for condition in conditions {
                switch condition {
                case .absent(let key): if state.values[key] != nil { return false }
                case .modRevision(let key, let revision): if state.values[key]?.modRevision != revision { return false }
                }
            }
            state.revision += 1
            for change in changes {
                switch change {
                case .put(let key, let value):
                    let created = state.values[key]?.createRevision ?? state.revision
                    state.values[key] = StoredValue(key: key, value: value, createRevision: created,
                                                    modRevision: state.revision)
                case .delete(let key):
                    state.values[key] = nil
                case .deletePrefix(let prefix):
                    state.values = state.values.filter { !$0.key.hasPrefix(prefix) }
                }
            }
            return true
        }
    }
}
