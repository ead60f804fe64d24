import ShoalCore

/// The current holder of an election key.
public struct ElectionLeader: Sendable, Equatable {
    /// What the leader wrote (Shoal: the manager's node ID).
    public var value: String
    public var lease: Int64
    /// The revision at which this leader took the key: it grows with every new term, so it serves as a fencing
    /// token.
    public var revision: Int64
}

/// Lease-based leader election on one key, etcd's election recipe reduced to a single key.
///
/// A candidate grants itself a lease (kept alive in the background) and runs
/// `txn(if createRevision(key) == 0 then put(key, me, lease) else get(key))`: whoever creates the key leads.
/// The others watch the key and try again when it is deleted, which happens when the leader resigns or its
/// lease expires (the leader's process died or lost etcd for a TTL). A leader learns it lost leadership from
/// its keep-alive (lease gone) or from a watch on its own key (deleted or taken over); `Leadership` reports it.
public actor LeaderElection {
    public nonisolated let key: String
    public nonisolated let candidate: String
    public nonisolated let ttl: Int64
    private let client: EtcdClient
    private var current: Leadership?

    /// - Parameters:
    ///   - key: the election key, e.g. `/shoal/election/manager`.
    ///   - candidate: this candidate's value (its node ID).
    ///   - ttl: lease TTL in seconds: how long a dead leader keeps the key.
    public init(client: EtcdClient, key: String, candidate: String, ttl: Int64 = 10) {
        self.client = client
        self.key = key
        self.candidate = candidate
        self.ttl = ttl
    }

    /// Waits until this candidate leads, and returns its leadership. Cancelling the calling task withdraws the
    /// candidacy (the lease is revoked).
    public func campaign() async throws -> Leadership {
        if let current, current.end == nil { return current }
        var lease = try await client.grantLease(ttl: ttl)
        var keepAlive = client.keepAlive(lease: lease)
        do {
            while true {
                try Task.checkCancellation()
                if keepAlive.end != nil {
                    // Our lease lapsed while we waited (etcd unreachable for a TTL): start over with a new one.
                    lease = try await client.grantLease(ttl: ttl)
                    keepAlive = client.keepAlive(lease: lease)
                }
                let result = try await client.txn(
                    compare: [.absent(key)], success: [.put(key: key, value: Array(candidate.utf8), lease: lease.id)],
                    failure: [.get(key: key)])
                let holder = result.kvs(at: 0).first
                if result.succeeded || holder?.lease == lease.id {
                    // Won now, or in an earlier attempt whose answer was lost (the client retries on failover).
                    let revision = result.succeeded ? result.revision : holder!.createRevision
                    let leadership = Leadership(
                        key: key, lease: lease, revision: revision, keepAlive: keepAlive, client: client)
                    current = leadership
                    return leadership
                }
                guard holder != nil else { continue }  // deleted between compare and read
                try await waitForDeletion(after: result.revision, keepAlive: keepAlive)
            }
        } catch {
            keepAlive.cancel()
            // Revoke from a task of its own: this one may be cancelled, which would cancel the call too.
            let client = client
            let id = lease.id
            await Task { try? await client.revokeLease(id) }.value
            throw error
        }
    }

    /// Gives up leadership (if held): deletes the key if it is still ours and revokes the lease, so another
    /// candidate takes over at once instead of after a TTL.
    public func resign() async throws {
        guard let leadership = current else { return }
        current = nil
        try await leadership.resign()
    }

    /// The current leader, nil when nobody leads.
    public nonisolated func leader() async throws -> ElectionLeader? {
        try await client.range(key: key).kvs.first.map(ElectionLeader.init)
    }

    /// The leader now, then every change of leader (nil: nobody leads), until the calling task is cancelled.
    public nonisolated func observe() -> AsyncThrowingStream<ElectionLeader?, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ElectionLeader?, any Error>.makeStream()
        let client = client
        let key = key
        let task = Task {
            do {
                let now = try await client.range(key: key)
                var last = now.kvs.first.map(ElectionLeader.init)
                continuation.yield(last)
                let watch = try await client.watch(key: key, fromRevision: now.revision + 1)
                for try await event in watch {
                    let leader = event.kind == .put ? ElectionLeader(event.kv) : nil
                    if leader != last {
                        last = leader
                        continuation.yield(leader)
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Returns once `key` has been deleted after `revision` (or our lease lapsed: the caller then starts over).
    private func waitForDeletion(after revision: Int64, keepAlive: EtcdKeepAlive) async throws {
        let watch = try await client.watch(key: key, fromRevision: revision + 1)
        defer { watch.cancel() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await event in watch where event.kind == .delete { return }
            }
            group.addTask {
                _ = try await keepAlive.waitUntilEnded()
            }
            try await group.next()
            group.cancelAll()
        }
    }
}

extension ElectionLeader {
    init(_ kv: EtcdKeyValue) {
        self.init(value: kv.stringValue, lease: kv.lease, revision: kv.createRevision)
    }
}

/// Leadership won by `LeaderElection.campaign()`. Held until resigned or lost; `waitUntilEnded()` tells when
/// it is lost (stop leader-only work then: another candidate may already lead).
public final class Leadership: Sendable {
    public enum End: Sendable, Equatable {
        /// The lease expired or was revoked, or the key was deleted or taken over.
        case lost
        case resigned
    }

    public let key: String
    public let lease: EtcdLease
    /// The revision at which the key was taken: a fencing token that grows with each term.
    public let revision: Int64
    let keepAlive: EtcdKeepAlive
    private let client: EtcdClient
    private let ended = OneShot<End>()
    private let monitor = LockedValue<Task<Void, Never>?>(nil)

    init(key: String, lease: EtcdLease, revision: Int64, keepAlive: EtcdKeepAlive, client: EtcdClient) {
        self.key = key
        self.lease = lease
        self.revision = revision
        self.keepAlive = keepAlive
        self.client = client
        let ended = ended
        let monitor = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { _ = try? await keepAlive.waitUntilEnded() }
                group.addTask { await Self.watchOwnKey(client: client, key: key, lease: lease.id, revision: revision) }
                await group.next()
                group.cancelAll()
            }
            if !Task.isCancelled { ended.complete(.lost) }
        }
        self.monitor.value = monitor
    }

    /// nil while leading.
    public var end: End? { ended.value }

    /// Returns when leadership ends, saying how; throws `CancellationError` if the waiting task is cancelled.
    public func waitUntilEnded() async throws -> End {
        try await ended.wait()
    }

    func resign() async throws {
        monitor.value?.cancel()
        keepAlive.cancel()
        ended.complete(.resigned)
        _ = try await client.txn(compare: [.lease(key, is: lease.id)], success: [.delete(key: key)])
        try await client.revokeLease(lease.id)
    }

    /// Returns when our key is deleted or no longer holds our lease (or the watch fails for good).
    private static func watchOwnKey(client: EtcdClient, key: String, lease: Int64, revision: Int64) async {
        do {
            let watch = try await client.watch(key: key, fromRevision: revision + 1)
            for try await event in watch where event.kind == .delete || event.kv.lease != lease { return }
        } catch {}
    }
}
