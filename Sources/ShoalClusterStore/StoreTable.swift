import ShoalCore
import SwiftProtobuf

/// The typed view of one table of the cluster store: every `Object` lives at `/shoal/objects/<table>/<id>` as its
/// protobuf bytes. It owns that key layout and the encoding, and builds the writes that create, update and delete
/// objects with the right compare-and-swap, so nothing outside ShoalClusterStore writes a key string.
public struct StoreTable<Object: StoreObject>: Sendable {
    public let store: any ClusterStore

    public init(_ store: any ClusterStore) { self.store = store }

    /// Where every table's objects live.
    static var objectsRoot: String { "/shoal/objects/" }
    static var prefix: String { objectsRoot + Object.table + "/" }

    static func key(_ id: String) throws -> String {
        guard !id.isEmpty, !id.contains("/") else {
            throw ShoalError.invalidArgument("\(Object.table): \"\(id)\" is not an object ID (one path segment)")
        }
        return prefix + id
    }

    // MARK: Reads

    public func get(_ id: String) async throws -> Versioned<Object>? {
        try await store.get(try Self.key(id)).map(Self.decode)
    }

    /// The objects with `ids` that exist, by ID (`ClusterStore.get(_:)` for many keys).
    public func get(_ ids: [String]) async throws -> [String: Versioned<Object>] {
        let values = try await store.get(try ids.map(Self.key))
        var found: [String: Versioned<Object>] = [:]
        for (id, value) in zip(ids, values) {
            if let value { found[id] = try Self.decode(value) }
        }
        return found
    }

    /// Every object of the table, in ID order.
    public func list() async throws -> [Versioned<Object>] {
        try await snapshot().objects
    }

    /// Every object of the table with the revision they were read at: `watch(from: snapshot.revision + 1)` follows
    /// on without missing or repeating a change.
    public func snapshot() async throws -> TableSnapshot<Object> {
        let snapshot = try await store.snapshot(prefix: Self.prefix)
        return TableSnapshot(objects: try snapshot.values.map(Self.decode), revision: snapshot.revision)
    }

    /// The table's changes from `revision` on; see `ClusterStore.watch(prefix:from:)`.
    public func watch(from revision: Int64) async throws -> TableWatch<Object> {
        TableWatch(try await store.watch(prefix: Self.prefix, from: revision))
    }

    // MARK: Writes (commit them with `ClusterStore.commit(_:)`, alone or combined with `+`)

    /// Puts `object` if no object has its ID yet.
    public func create(_ object: Object) throws -> StoreWrite {
        let key = try Self.key(object.id)
        return StoreWrite(changes: [.put(key, try Self.encode(object))], conditions: [.absent(key)])
    }

    /// Replaces the object with `object`'s ID if it is still at `version` (nobody changed it since it was read).
    public func update(_ object: Object, ifVersion version: Int64) throws -> StoreWrite {
        let key = try Self.key(object.id)
        return StoreWrite(changes: [.put(key, try Self.encode(object))], conditions: [.modRevision(key, version)])
    }

    /// Deletes the object with `id`; with `version`, only if it is still at that version. Deleting an object that
    /// does not exist (without a version) changes nothing and succeeds.
    public func delete(_ id: String, ifVersion version: Int64? = nil) throws -> StoreWrite {
        let key = try Self.key(id)
        return StoreWrite(changes: [.delete(key)], conditions: version.map { [.modRevision(key, $0)] } ?? [])
    }

    /// The condition "the object with `id` is still at `version`", for a write that changes other objects
    /// because of what it read in this one.
    public func unchanged(_ id: String, sinceVersion version: Int64) throws -> StoreWrite {
        StoreWrite(conditions: [.modRevision(try Self.key(id), version)])
    }

    // MARK: Encoding

    static func encode(_ object: Object) throws -> [UInt8] {
        // Deterministic map order: the same object always makes the same bytes.
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        return try object.serializedBytes(options: options)
    }

    static func decode(_ stored: StoredValue) throws -> Versioned<Object> {
        do {
            let object = try Object(serializedBytes: stored.value)
            return Versioned(object: object, version: stored.modRevision, createRevision: stored.createRevision)
        } catch {
            throw ShoalError.internalError("\(Object.table): \(stored.key) does not hold a \(Object.self)", cause: error)
        }
    }

    static func id(of key: String) -> String {
        String(key.dropFirst(prefix.count))
    }
}

/// Every object of a table as of one store revision.
public struct TableSnapshot<Object: StoreObject>: Sendable, Equatable {
    public var objects: [Versioned<Object>]
    /// Watch from `revision + 1` to see every later change exactly once.
    public var revision: Int64
}
