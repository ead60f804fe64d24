/// ShoalClusterStore: the cluster state's storage seam. Managers keep swarm objects through `ClusterStore`: on etcd
/// (`EtcdClusterStore`) in the daemon, in memory (`MemoryClusterStore`) in orchestrator and allocator unit tests.
/// Both keep etcd's model: one global revision that every committed change moves forward, a create and a mod
/// revision per key, compare-and-swap transactions, and watches that replay history from a revision.
///
/// Above the raw keys it offers typed tables of versioned protobuf objects (`StoreTable`, `StoreObject`) and the
/// leader's fence (`LeaderFence`), so nothing outside this module builds a key or handles a revision as a number
/// it has to interpret. Workers never link this module (DESIGN §3).

/// What every cluster store does. Keys are paths (UTF-8 strings) and "key order" is their byte order, as in etcd.
public protocol ClusterStore: Sendable {
    func get(_ key: String) async throws -> StoredValue?

    /// The values of `keys` (nil where a key is absent), in the order asked, each read as one store revision saw it
    /// when the store can (etcd: one transaction of gets per part). Cheaper than a snapshot of a whole large table
    /// for a few thousand of its keys, dearer than `get` for one.
    func get(_ keys: [String]) async throws -> [StoredValue?]

    /// Every key under `prefix`, in key order, with the store revision the read saw: watch from `revision + 1` to
    /// follow on from it without missing or repeating a change.
    func snapshot(prefix: String) async throws -> StoreSnapshot

    /// Applies every change atomically, at one new revision, when every condition holds. A commit that changes
    /// nothing (say, deleting keys that do not exist) succeeds without moving the revision, as in etcd. Two changes
    /// of one commit must not touch the same key (`invalidArgument`).
    @discardableResult
    func commit(_ changes: [StoreChange], if conditions: [StoreCondition]) async throws -> StoreCommit

    /// The changes under `prefix` from `revision` on (`revision` ≥ 1), in revision order: history since `revision`
    /// first, then changes as they happen. Returns once the watch is registered, so any change committed after it
    /// returns is seen. When `revision` is older than the store keeps, the watch's only event is `.compacted`.
    /// The watch ends when the task iterating it is cancelled or `cancel()` is called.
    func watch(prefix: String, from revision: Int64) async throws -> StoreWatch
}

extension ClusterStore {
    /// One `get` after another (a store whose reads cost nothing but memory).
    public func get(_ keys: [String]) async throws -> [StoredValue?] {
        var values: [StoredValue?] = []
        for key in keys { values.append(try await get(key)) }
        return values
    }

    /// Every key under `prefix`, in key order.
    public func list(prefix: String) async throws -> [StoredValue] {
        try await snapshot(prefix: prefix).values
    }

    /// Commits a write built with `StoreTable`'s builders (and perhaps fenced by `LeaderFence`).
    @discardableResult
    public func commit(_ write: StoreWrite) async throws -> StoreCommit {
        try await commit(write.changes, if: write.conditions)
    }
}
