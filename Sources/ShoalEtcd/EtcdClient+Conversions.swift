import Foundation
import ShoalEtcdProto

// The one edge between ShoalEtcd's types and etcd's protobuf messages (DESIGN.md habit 7).

enum EtcdKeyRange {
    /// The `range_end` that makes a request cover every key starting with `prefix`: the prefix with its last
    /// byte below 0xff incremented (etcd's `clientv3.GetPrefixRangeEnd`); "\0" (every key) for an empty prefix
    /// or one made only of 0xff bytes.
    static func prefixEnd(_ prefix: String) -> Data {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xff {
                bytes[bytes.count - 1] = last + 1
                return Data(bytes)
            }
            bytes.removeLast()
        }
        return Data([0])
    }
}

extension Data {
    init(_ string: String) { self.init(string.utf8) }
}

extension EtcdKeyValue {
    init(_ proto: Mvccpb_KeyValue) {
        self.init(
            key: String(decoding: proto.key, as: UTF8.self), value: [UInt8](proto.value),
            createRevision: proto.createRevision, modRevision: proto.modRevision, version: proto.version,
            lease: proto.lease)
    }
}

extension EtcdEvent {
    init(_ proto: Mvccpb_Event) {
        self.init(kind: proto.type == .delete ? .delete : .put, kv: EtcdKeyValue(proto.kv))
    }
}

extension EtcdRangeResult {
    init(_ proto: Etcdserverpb_RangeResponse) {
        self.init(kvs: proto.kvs.map(EtcdKeyValue.init), revision: proto.header.revision, count: proto.count)
    }
}

extension EtcdMember {
    init(_ proto: Etcdserverpb_Member) {
        self.init(
            id: proto.id, name: proto.name, peerURLs: proto.peerUrls, clientURLs: proto.clientUrls,
            isLearner: proto.isLearner)
    }
}

extension EtcdStatus {
    init(_ proto: Etcdserverpb_StatusResponse) {
        self.init(
            memberID: proto.header.memberID, leaderID: proto.leader, version: proto.version,
            raftTerm: proto.raftTerm, revision: proto.header.revision, dbSize: proto.dbSize,
            isLearner: proto.isLearner)
    }
}

extension Etcdserverpb_RangeRequest {
    static func key(_ key: String) -> Self {
        var request = Self()
        request.key = Data(key)
        return request
    }

    static func prefix(_ prefix: String) -> Self {
        var request = Self()
        request.key = Data(prefix)
        request.rangeEnd = EtcdKeyRange.prefixEnd(prefix)
        return request
    }
}

extension Etcdserverpb_DeleteRangeRequest {
    static func key(_ key: String) -> Self {
        var request = Self()
        request.key = Data(key)
        return request
    }

    static func prefix(_ prefix: String) -> Self {
        var request = Self()
        request.key = Data(prefix)
        request.rangeEnd = EtcdKeyRange.prefixEnd(prefix)
        return request
    }
}

extension Etcdserverpb_PutRequest {
    init(key: String, value: [UInt8], lease: Int64) {
        self.init()
        self.key = Data(key)
        self.value = Data(value)
        self.lease = lease
    }
}

extension Etcdserverpb_Compare {
    init(_ compare: EtcdCompare) {
        self.init()
        key = Data(compare.key)
        switch compare.field {
        case .version(let version):
            target = .version
            targetUnion = .version(version)
        case .createRevision(let revision):
            target = .create
            targetUnion = .createRevision(revision)
        case .modRevision(let revision):
            target = .mod
            targetUnion = .modRevision(revision)
        case .value(let value):
            target = .value
            targetUnion = .value(Data(value))
        case .lease(let lease):
            target = .lease
            targetUnion = .lease(lease)
        }
        switch compare.relation {
        case .equal: result = .equal
        case .notEqual: result = .notEqual
        case .greater: result = .greater
        case .less: result = .less
        }
    }
}

extension Etcdserverpb_RequestOp {
    init(_ op: EtcdOp) {
        self.init()
        switch op {
        case .put(let key, let value, let lease):
            request = .requestPut(Etcdserverpb_PutRequest(key: key, value: value, lease: lease))
        case .get(let key):
            request = .requestRange(.key(key))
        case .getPrefix(let prefix):
            request = .requestRange(.prefix(prefix))
        case .delete(let key):
            request = .requestDeleteRange(.key(key))
        case .deletePrefix(let prefix):
            request = .requestDeleteRange(.prefix(prefix))
        }
    }
}

extension EtcdTxnResult {
    init(_ proto: Etcdserverpb_TxnResponse) {
        let revision = proto.header.revision
        self.init(
            succeeded: proto.succeeded, revision: revision,
            results: proto.responses.map { op in
                switch op.response {
                case .responseRange(let range): .range(EtcdRangeResult(range))
                case .responsePut: .put(revision: revision)
                case .responseDeleteRange(let delete): .delete(deleted: delete.deleted)
                case .responseTxn, .none: .put(revision: revision)  // nested txns are never sent
                }
            })
    }
}
