import ShoalEtcd

/// The cluster store on etcd: a commit is one etcd transaction, so it is atomic across managers.
public struct EtcdClusterStore: ClusterStore {
    public let client: EtcdClient

    public init(client: EtcdClient) { self.client = client }

    public func get(_ key: String) async throws -> StoredValue? {
        try await client.get(key).map(Self.stored)
    }

    public func list(prefix: String) async throws -> [StoredValue] {
        try await client.range(prefix: prefix).kvs.map(Self.stored).sorted { $0.key < $1.key }
    }

    public func commit(_ changes: [StoreChange], if conditions: [StoreCondition]) async throws -> Bool {
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
        return try await client.txn(compare: compare, success: operations).succeeded
    }

    static func stored(_ kv: EtcdKeyValue) -> StoredValue {
        StoredValue(key: kv.key, value: kv.value, createRevision: kv.createRevision, modRevision: kv.modRevision)
    }
}
