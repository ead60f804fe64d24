/// The values a `ClusterStore` takes and gives: stored keys, changes, conditions, and what a commit or a snapshot
/// tells. Revisions are etcd's: the store starts at revision 1 and every commit that changes something moves it
/// on by one.

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

/// The outcome of `ClusterStore.commit`.
public struct StoreCommit: Sendable, Equatable {
    /// True when every condition held and the changes were applied.
    public var succeeded: Bool
    /// The store's revision after the commit: when it succeeded and changed something, the revision of its
    /// changes (every key it put has this mod revision); otherwise the revision the commit saw.
    public var revision: Int64

    public init(succeeded: Bool, revision: Int64) {
        self.succeeded = succeeded
        self.revision = revision
    }
}

/// Every key under a prefix, in key order, as of one store revision.
public struct StoreSnapshot: Sendable, Equatable {
    public var values: [StoredValue]
    /// The store revision the read saw: watch from `revision + 1` to see every later change exactly once.
    public var revision: Int64

    public init(values: [StoredValue], revision: Int64) {
        self.values = values
        self.revision = revision
    }
}

/// etcd's key order and prefix match: bytes, not Unicode collation.
enum StoreKeys {
    static func precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    static func key(_ key: String, hasPrefix prefix: String) -> Bool {
        key.utf8.starts(with: prefix.utf8)
    }
}
