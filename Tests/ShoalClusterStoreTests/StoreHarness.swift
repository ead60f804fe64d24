import ShoalClusterStore
import ShoalEtcd
import ShoalTestSupport
import Testing

/// Every suite of this target lives under this one, one test at a time: the etcd cases each run a real member,
/// and two at once on two shared cores would only slow each other down.
@Suite("cluster store", .serialized, .timeLimit(.minutes(3))) struct ClusterStoreSuites {}

/// The stores the contract runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory
    case etcd

    var testDescription: String { rawValue }
}

/// A fresh, empty store of one kind, and the means to compact its history (which is no part of `ClusterStore`:
/// only etcd's maintenance and tests compact).
struct StoreUnderTest: Sendable {
    let store: any ClusterStore
    let compact: @Sendable (Int64) async throws -> Void
}

/// Runs `body` with a fresh store of `kind`: for etcd, one real member of its own, killed when the test ends.
func withStore(_ kind: StoreKind, _ body: (StoreUnderTest) async throws -> Void) async throws {
    switch kind {
    case .memory:
        let store = MemoryClusterStore()
        try await body(StoreUnderTest(store: store, compact: { try await store.compact(to: $0) }))
    case .etcd:
        try await TestRun.with("store") { run in
            let cluster = try await EtcdTestCluster.start(run)
            try await withClient(try cluster.client()) { client in
                try await body(StoreUnderTest(store: EtcdClusterStore(client: client), compact: { try await client.compact($0) }))
            }
        }
    }
}

extension AsyncIteratorProtocol {
    /// The next `count` elements (fewer only if the sequence ends first).
    mutating func take(_ count: Int) async throws -> [Element] {
        var taken: [Element] = []
        while taken.count < count, let element = try await next() { taken.append(element) }
        return taken
    }
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

extension StoreEvent {
    /// "put KEY VALUE" or "delete KEY", for comparing event lists at a glance.
    var summary: String {
        switch self {
        case .put(let value): "put \(value.key) \(String(decoding: value.value, as: UTF8.self))"
        case .delete(let key, _): "delete \(key)"
        case .compacted(let revision): "compacted \(revision)"
        }
    }
}
