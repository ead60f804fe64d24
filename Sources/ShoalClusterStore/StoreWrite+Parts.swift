import ShoalCore

/// Writes that do not depend on one another (each task's own compare-and-swap), committed in transactions of a
/// size etcd takes: a transaction may hold at most `--max-txn-ops` operations (etcd's default 128; members start
/// with `EtcdMemberConfiguration.maxTransactionOperations`, room for `maxOperations` and the conditions) and a
/// request at most `--max-request-bytes` (1.5 MiB by default).
/// One write is never split, so each keeps its own conditions; a part is committed whole or not at all.
extension StoreWrite {
    /// Operations per transaction, changes and conditions each (the fence's condition comes on top).
    public static let maxOperations = 1000
    /// Bytes of keys and values per transaction, well under etcd's default request limit of 1.5 MiB.
    public static let maxBytes = 1 << 20

    /// `writes` grouped into as few transactions as the limits allow, in order; each part lists the indices of the
    /// writes it holds. A single write over a limit is a part of its own (etcd then answers for it).
    public static func parts(_ writes: [StoreWrite], maxOperations: Int = maxOperations, maxBytes: Int = maxBytes)
        -> [(write: StoreWrite, indices: [Int])]
    {
        var parts: [(write: StoreWrite, indices: [Int])] = []
        var current = StoreWrite()
        var indices: [Int] = []
        var bytes = 0
        for (index, write) in writes.enumerated() {
            let size = write.byteCount
            if !indices.isEmpty, current.changes.count + write.changes.count > maxOperations
                || current.conditions.count + write.conditions.count > maxOperations || bytes + size > maxBytes {
                parts.append((current, indices))
                current = StoreWrite()
                indices = []
                bytes = 0
            }
            current += write
            indices.append(index)
            bytes += size
        }
        if !indices.isEmpty { parts.append((current, indices)) }
        return parts
    }

    /// Bytes of keys and values the write sends.
    var byteCount: Int {
        changes.reduce(0) { total, change in
            switch change {
            case .put(let key, let value): total + key.utf8.count + value.count
            case .delete(let key), .deletePrefix(let key): total + key.utf8.count
            }
        } + conditions.reduce(0) { total, condition in
            switch condition {
            case .absent(let key), .modRevision(let key, _): total + key.utf8.count + 8
            }
        }
    }
}

/// How a write in parts ended (`LeaderFence.commit(each:in:)`).
public enum FencedParts: Sendable, Equatable {
    /// Every part stored; the revision each write was stored at, in the order given.
    case committed(revisions: [Int64])
    /// The parts before the first conflict are stored (`revisions` of their writes, nil for the rest); the rest
    /// is not.
    case conflicted(revisions: [Int64?])
    case deposed
}

extension LeaderFence {
    /// Commits independent writes in parts (`StoreWrite.parts`), each fenced by this term. It stops at the first
    /// part that meets a conflict or a newer leader: the parts before it stay stored.
    public func commit(each writes: [StoreWrite], in store: any ClusterStore) async throws -> FencedParts {
        let parts = StoreWrite.parts(writes)
        var revisions = [Int64?](repeating: nil, count: writes.count)
        let (stored, outcome) = try await commit(inOrder: parts.map(\.write), in: store)
        for (part, revision) in zip(parts, stored) {
            for index in part.indices { revisions[index] = revision }
        }
        switch outcome {
        case .committed: return .committed(revisions: revisions.map { $0 ?? 0 })
        case .conflicted: return .conflicted(revisions: revisions)
        case .deposed: return .deposed
        }
    }

    /// Commits `writes` one after the other, each fenced by this term, until one meets a conflict or a newer
    /// leader (its outcome is returned; `.committed` when all were stored): the revisions of the writes stored
    /// before, in order.
    public func commit(inOrder writes: [StoreWrite], in store: any ClusterStore) async throws
        -> (revisions: [Int64], outcome: FencedCommit)
    {
        var revisions: [Int64] = []
        for write in writes {
            let outcome = try await commit(write, in: store)
            guard case .committed(let revision) = outcome else { return (revisions, outcome) }
            revisions.append(revision)
        }
        return (revisions, .committed(revision: revisions.last ?? 0))
    }
}
