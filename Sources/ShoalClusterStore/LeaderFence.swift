import ShoalCore

/// The fence of one leadership term: the leader key `/shoal/leader` as this leader's claim left it.
///
/// A manager that becomes leader claims the key (`claim(for:in:)`): it writes its node ID there and keeps the
/// revision of that commit. Every leader-only write carries `condition` (or is built with
/// `StoreWrite.fenced(by:)`), which holds only while the key is still at that revision. A deposed leader can
/// believe it leads for a moment (a paused process, a slow election notice); once the next leader has claimed, the
/// key's revision has moved, so every fenced write of the old term fails, whichever manager sends it. A leader
/// that claims again (a new term for the same node) gets a new fence, and its old term's writes fail too.
///
/// Who leads is decided elsewhere (the manager whose etcd member leads the raft); the fence only makes sure the
/// store takes leader-only writes from the last leader to have claimed.
public struct LeaderFence: Sendable, Equatable {
    /// Where the leader's node ID lives.
    static let leaderKey = "/shoal/leader"

    /// The node that claimed the lead.
    public var nodeID: String
    /// The revision of the claim: the leader key's mod revision while this term lasts.
    public var revision: Int64

    public init(nodeID: String, revision: Int64) {
        self.nodeID = nodeID
        self.revision = revision
    }

    /// "The leader key is still as this leader's claim left it."
    public var condition: StoreCondition { .modRevision(Self.leaderKey, revision) }

    /// Claims the lead for `nodeID`: from now on every write fenced by an earlier claim fails.
    public static func claim(for nodeID: String, in store: any ClusterStore) async throws -> LeaderFence {
        let commit = try await store.commit([.put(leaderKey, Array(nodeID.utf8))], if: [])
        guard commit.succeeded else { throw ShoalError.internalError("the store refused an unconditional claim") }
        return LeaderFence(nodeID: nodeID, revision: commit.revision)
    }

    /// The fence of the last claim, or nil when no leader has claimed yet.
    public static func current(in store: any ClusterStore) async throws -> LeaderFence? {
        guard let stored = try await store.get(leaderKey) else { return nil }
        return LeaderFence(nodeID: String(decoding: stored.value, as: UTF8.self), revision: stored.modRevision)
    }
}

/// How a write fenced by a term ended (`LeaderFence.commit(_:in:)`).
public enum FencedCommit: Sendable, Equatable {
    /// Stored at this revision (the changed objects' new version).
    case committed(revision: Int64)
    /// The term still holds, but a condition of the write itself failed: an object changed since it was read.
    case conflicted
    /// A newer leader has claimed: this term writes nothing any more.
    case deposed
}

extension LeaderFence {
    /// Commits `write` only while this term lasts, and tells a refusal by a newer leader apart from a conflict on
    /// the write's own objects (which the caller may retry on a fresh read).
    public func commit(_ write: StoreWrite, in store: any ClusterStore) async throws -> FencedCommit {
        let commit = try await store.commit(write.fenced(by: self))
        if commit.succeeded { return .committed(revision: commit.revision) }
        return try await LeaderFence.current(in: store) == self ? .conflicted : .deposed
    }
}
