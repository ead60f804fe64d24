/// One guard of a transaction: a field of one key compared with a value. A key that does not exist has
/// version, create and mod revision 0, which is how "create if absent" is written (`.absent(key)`).
public struct EtcdCompare: Sendable, Equatable {
    public enum Field: Sendable, Equatable {
        case version(Int64)
        case createRevision(Int64)
        case modRevision(Int64)
        case value([UInt8])
        case lease(Int64)
    }

    public enum Relation: Sendable, Equatable {
        case equal
        case notEqual
        case greater
        case less
    }

    public var key: String
    public var field: Field
    public var relation: Relation

    public init(key: String, field: Field, relation: Relation = .equal) {
        self.key = key
        self.field = field
        self.relation = relation
    }

    /// True when `key` does not exist (its create revision is 0): "create if absent".
    public static func absent(_ key: String) -> EtcdCompare {
        EtcdCompare(key: key, field: .createRevision(0))
    }

    /// True when `key` exists.
    public static func exists(_ key: String) -> EtcdCompare {
        EtcdCompare(key: key, field: .createRevision(0), relation: .greater)
    }

    /// True when `key` was last modified at `revision`: compare-and-swap against a value read earlier.
    public static func modRevision(_ key: String, is revision: Int64) -> EtcdCompare {
        EtcdCompare(key: key, field: .modRevision(revision))
    }

    /// True when `key` was created at `revision` (the same incarnation of the key, whatever its later writes).
    public static func createRevision(_ key: String, is revision: Int64) -> EtcdCompare {
        EtcdCompare(key: key, field: .createRevision(revision))
    }

    /// True when `key` holds exactly `value`.
    public static func value(_ key: String, is value: [UInt8]) -> EtcdCompare {
        EtcdCompare(key: key, field: .value(value))
    }

    /// True when `key` is attached to `lease`.
    public static func lease(_ key: String, is lease: Int64) -> EtcdCompare {
        EtcdCompare(key: key, field: .lease(lease))
    }
}

/// One operation of a transaction branch.
public enum EtcdOp: Sendable, Equatable {
    /// Writes `value` at `key`, attached to `lease` when not 0.
    case put(key: String, value: [UInt8], lease: Int64 = 0)
    case get(key: String)
    case getPrefix(String)
    case delete(key: String)
    case deletePrefix(String)
}

/// What one operation of the branch that ran gave back.
public enum EtcdOpResult: Sendable, Equatable {
    case put(revision: Int64)
    case range(EtcdRangeResult)
    case delete(deleted: Int64)
}

/// The outcome of a transaction: which branch ran, the store revision after it, and the branch's results in
/// order.
public struct EtcdTxnResult: Sendable, Equatable {
    /// True when every compare held and the success branch ran.
    public var succeeded: Bool
    public var revision: Int64
    public var results: [EtcdOpResult]

    /// The key-values of the `index`-th result when it is a read, else empty.
    public func kvs(at index: Int) -> [EtcdKeyValue] {
        guard results.indices.contains(index), case .range(let range) = results[index] else { return [] }
        return range.kvs
    }
}
