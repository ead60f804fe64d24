/// A key and its value as etcd stores them, with the revisions that the store's compare-and-swap and watches
/// work with. Keys are UTF-8 strings (every Shoal key is a path); values are bytes.
public struct EtcdKeyValue: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]
    /// Revision of the key's last creation (0 for a key that does not exist).
    public var createRevision: Int64
    /// Revision of the key's last modification.
    public var modRevision: Int64
    /// Number of modifications since creation (1 for a new key).
    public var version: Int64
    /// The lease the key is attached to, 0 for none.
    public var lease: Int64

    public init(
        key: String, value: [UInt8], createRevision: Int64 = 0, modRevision: Int64 = 0, version: Int64 = 0,
        lease: Int64 = 0
    ) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }

    /// The value decoded as UTF-8.
    public var stringValue: String { String(decoding: value, as: UTF8.self) }
}

/// The answer to a range read: the keys found and the store revision the read saw.
public struct EtcdRangeResult: Sendable, Equatable {
    public var kvs: [EtcdKeyValue]
    /// The store's revision at the time of the read: watch from `revision + 1` to see every later change.
    public var revision: Int64
    /// Number of keys in the range (can exceed `kvs.count` when a limit applies).
    public var count: Int64
}

/// One change seen by a watch.
public struct EtcdEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case put
        case delete
    }

    public var kind: Kind
    /// For a put, the key as written; for a delete, the key with `modRevision` set to the deletion's revision
    /// and an empty value.
    public var kv: EtcdKeyValue

    /// The store revision of this change.
    public var revision: Int64 { kv.modRevision }
}

/// A lease: keys attached to it are deleted when it expires or is revoked.
public struct EtcdLease: Sendable, Hashable {
    public var id: Int64
    /// The TTL etcd granted, in seconds.
    public var ttl: Int64

    public init(id: Int64, ttl: Int64) {
        self.id = id
        self.ttl = ttl
    }
}

/// A member of an etcd cluster as `member list` shows it.
public struct EtcdMember: Sendable, Equatable {
    public var id: UInt64
    /// Empty until the member has started and published its name.
    public var name: String
    public var peerURLs: [String]
    public var clientURLs: [String]
    public var isLearner: Bool

    /// A member added with `memberAdd` that has not yet started (no name, no client URLs).
    public var isStarted: Bool { !name.isEmpty }
}

/// What a member says of itself (`etcdctl endpoint status`).
public struct EtcdStatus: Sendable, Equatable {
    public var memberID: UInt64
    /// The member this one believes leads the cluster, 0 when it knows no leader.
    public var leaderID: UInt64
    public var version: String
    public var raftTerm: UInt64
    public var revision: Int64
    public var dbSize: Int64
    /// A learner receives the log but does not vote (nor serve linearizable requests) until promoted.
    public var isLearner: Bool = false

    public var isLeader: Bool { memberID != 0 && memberID == leaderID }
}
