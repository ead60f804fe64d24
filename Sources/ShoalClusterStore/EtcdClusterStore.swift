import ShoalCore
import ShoalEtcd

/// The cluster store on etcd: a commit is one etcd transaction, so it is atomic across managers; a watch is an
/// etcd watch, which resumes on another member after a disconnect without losing or repeating a change.
public struct EtcdClusterStore: ClusterStore {
    public let client: EtcdClient

    public init(client: EtcdClient) { self.client = client }

    public func get(_ key: String) async throws -> StoredValue? {
        try await client.get(key).map(Self.stored)
    }

    /// Keys per transaction of gets (under the member's `--max-txn-ops`).
    static let getsPerTransaction = 1000

    public func get(_ keys: [String]) async throws -> [StoredValue?] {
        var values: [StoredValue?] = []
        values.reserveCapacity(keys.count)
        var rest = keys[...]
        while !rest.isEmpty {
            let part = rest.prefix(Self.getsPerTransaction)
            rest = rest.dropFirst(part.count)
            let result = try await client.txn(compare: [], success: part.map { .get(key: $0) })
            for index in 0..<part.count { values.append(result.kvs(at: index).first.map(Self.stored)) }
        }
        return values
    }

    public func snapshot(prefix: String) async throws -> StoreSnapshot {
        let range = try await client.range(prefix: prefix)
        return StoreSnapshot(
            values: range.kvs.map(Self.stored).sorted { StoreKeys.precedes($0.key, $1.key) }, revision: range.revision)
    }

    @discardableResult
    public func commit(_ changes: [StoreChange], if conditions: [StoreCondition]) async throws -> StoreCommit {
        let compare = conditions.map { condition -> EtcdCompare in
            switch condition {
            case .absent(let key): .absent(key)
            case .modRevision(let key, let revision): .modRevision(key, is: revision)
            }
        }
        let operations = changes.map { change -> EtcdOp in
            switch change {
            case .put(let key, let value): .put(key: key, value: value)
            case .delete(let key): .delete(key: key)
            case .deletePrefix(let prefix): .deletePrefix(prefix)
            }
        }
        let result = try await client.txn(compare: compare, success: operations)
        return StoreCommit(succeeded: result.succeeded, revision: result.revision)
    }

    public func watch(prefix: String, from revision: Int64) async throws -> StoreWatch {
        try StoreWatch.validate(revision)
        let watch: EtcdWatch
        do {
            watch = try await client.watch(prefix: prefix, fromRevision: revision)
        } catch {
            guard let compacted = Self.compaction(error) else { throw error }
            return .compacted(compacted)
        }
        // Bounded as etcd's own stream is: the pump waits for the consumer, and etcd's stream for the pump.
        let (events, continuation) = AsyncThrowingStream<StoreEvent, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(EtcdClient.watchBacklog))
        // Ending this stream (the consumer's task cancelled, `cancel()`) ends etcd's, and with it the pump.
        continuation.onTermination = { _ in watch.cancel() }
        Task {
            do {
                for try await event in watch { try await continuation.yieldWaiting(Self.event(event)) }
                continuation.finish()
            } catch {
                if let compacted = Self.compaction(error) {
                    continuation.yield(.compacted(compacted))
                    continuation.finish()
                } else {
                    continuation.finish(throwing: error)
                }
            }
        }
        return StoreWatch(events: events) { continuation.finish() }
    }

    /// The oldest revision etcd still keeps, when `error` says the watch's start was compacted away.
    static func compaction(_ error: any Error) -> Int64? {
        if case .compacted(let revision) = (error as? ShoalError)?.cause as? EtcdWatchError { return revision }
        return nil
    }

    static func event(_ event: EtcdEvent) -> StoreEvent {
        switch event.kind {
        case .put: .put(stored(event.kv))
        case .delete: .delete(key: event.kv.key, revision: event.revision)
        }
    }

    static func stored(_ kv: EtcdKeyValue) -> StoredValue {
        StoredValue(key: kv.key, value: kv.value, createRevision: kv.createRevision, modRevision: kv.modRevision)
    }
}
