import Foundation
import ShoalEtcdProto

extension EtcdClient {
    /// The key's current value, or nil when it does not exist (`etcdctl get KEY`).
    public func get(_ key: String) async throws -> EtcdKeyValue? {
        try await range(.key(key), operation: "get \(key)").kvs.first
    }

    /// The key (if it exists) with the revision the read saw: watch from `revision + 1` to follow it.
    public func range(key: String) async throws -> EtcdRangeResult {
        try await range(.key(key), operation: "get \(key)")
    }

    /// Every key starting with `prefix`, sorted by key, with the revision the read saw (`etcdctl get --prefix`).
    public func range(prefix: String) async throws -> EtcdRangeResult {
        try await range(.prefix(prefix), operation: "get --prefix \(prefix)")
    }

    private func range(_ request: Etcdserverpb_RangeRequest, operation: String) async throws -> EtcdRangeResult {
        let options = callOptions
        return try await withFailover(operation) { connection in
            EtcdRangeResult(try await connection.kv.range(request, options: options))
        }
    }

    /// Writes `value` at `key`, attached to `lease` (0: none); returns the store revision of the write
    /// (`etcdctl put KEY VALUE [--lease]`).
    @discardableResult
    public func put(_ key: String, _ value: [UInt8], lease: Int64 = 0) async throws -> Int64 {
        let request = Etcdserverpb_PutRequest(key: key, value: value, lease: lease)
        let options = callOptions
        return try await withFailover("put \(key)") { connection in
            try await connection.kv.put(request, options: options).header.revision
        }
    }

    @discardableResult
    public func put(_ key: String, _ value: String, lease: Int64 = 0) async throws -> Int64 {
        try await put(key, Array(value.utf8), lease: lease)
    }

    /// Deletes `key`; returns how many keys went (0 or 1) (`etcdctl del KEY`).
    @discardableResult
    public func delete(_ key: String) async throws -> Int64 {
        try await deleteRange(.key(key), operation: "del \(key)")
    }

    /// Deletes every key starting with `prefix`; returns how many went (`etcdctl del --prefix`).
    @discardableResult
    public func delete(prefix: String) async throws -> Int64 {
        try await deleteRange(.prefix(prefix), operation: "del --prefix \(prefix)")
    }

    private func deleteRange(_ request: Etcdserverpb_DeleteRangeRequest, operation: String) async throws -> Int64 {
        let options = callOptions
        return try await withFailover(operation) { connection in
            try await connection.kv.deleteRange(request, options: options).deleted
        }
    }

    /// Drops the history older than `revision` (`etcdctl compact REV`): reads and watches from an earlier revision
    /// fail from then on (a watch reports `EtcdWatchError.compacted`). `physical` waits until the backend has
    /// removed the entries, not only the index.
    public func compact(_ revision: Int64, physical: Bool = false) async throws {
        var request = Etcdserverpb_CompactionRequest()
        request.revision = revision
        request.physical = physical
        let options = callOptions
        _ = try await withFailover("compact \(revision)") { connection in
            try await connection.kv.compact(request, options: options).header.revision
        }
    }

    /// Runs `success` when every compare holds, `failure` otherwise, atomically (`etcdctl txn`).
    public func txn(
        compare: [EtcdCompare], success: [EtcdOp], failure: [EtcdOp] = []
    ) async throws -> EtcdTxnResult {
        var request = Etcdserverpb_TxnRequest()
        request.compare = compare.map(Etcdserverpb_Compare.init)
        request.success = success.map(Etcdserverpb_RequestOp.init)
        request.failure = failure.map(Etcdserverpb_RequestOp.init)
        let options = callOptions
        return try await withFailover("txn") { connection in
            EtcdTxnResult(try await connection.kv.txn(request, options: options))
        }
    }
}
