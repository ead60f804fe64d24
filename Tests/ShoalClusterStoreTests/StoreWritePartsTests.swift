import ShoalClusterStore
import ShoalCore
import ShoalClusterProto
import Testing

extension ClusterStoreSuites {
    /// Many objects at once, as the leader's task pipeline writes and reads them at scale: independent writes go
    /// in parts etcd takes, and many keys are read in one call.
    @Suite("writes in parts, reads of many keys") struct Parts {
        @Test func partsKeepEachWriteWholeAndRespectTheLimits() throws {
            let networks = StoreTable<Network>(MemoryClusterStore())
            let writes = try (0..<25).map { try networks.create(network("n\($0)", name: "net\($0)")) }
            let parts = StoreWrite.parts(writes, maxOperations: 10, maxBytes: 1 << 20)
            #expect(parts.map(\.indices.count) == [10, 10, 5])
            #expect(parts.flatMap(\.indices) == Array(0..<25))
            #expect(parts.allSatisfy { $0.write.changes.count <= 10 && $0.write.conditions.count <= 10 })
            // By bytes: each write is a part of its own when one fills the budget.
            let byBytes = StoreWrite.parts(writes, maxOperations: 1000, maxBytes: 1)
            #expect(byBytes.count == 25)
        }

        @Test(arguments: StoreKind.allCases) func independentWritesCommitInPartsAndManyKeysReadAtOnce(
            _ kind: StoreKind
        ) async throws {
            try await withStore(kind) { harness in
                let store = harness.store
                let networks = StoreTable<Network>(store)
                let term = try await LeaderFence.claim(for: "node-a", in: store)
                // More than one etcd transaction's worth (StoreWrite.maxOperations).
                let count = StoreWrite.maxOperations + 200
                let writes = try (0..<count).map { try networks.create(network("n\($0)", name: "net\($0)")) }
                guard case .committed(let revisions) = try await term.commit(each: writes, in: store) else {
                    Issue.record("the parts were not all stored")
                    return
                }
                #expect(revisions.count == count && Set(revisions).count == 2)
                let ids = (0..<count).map { "n\($0)" } + ["absent"]
                let found = try await networks.get(ids)
                #expect(found.count == count && found["absent"] == nil)
                #expect(found["n7"]?.object.spec.name == "net7" && found["n7"]?.version == revisions[7])
                // A part that meets a conflict stops the rest; the parts before it stay stored.
                let stale = try (0..<count).map { index in
                    try networks.update(network("n\(index)", name: "x"), ifVersion: index < 1100 ? revisions[index] : 1)
                }
                guard case .conflicted(let stored) = try await term.commit(each: stale, in: store) else {
                    Issue.record("a stale part was stored")
                    return
                }
                #expect(stored.prefix(StoreWrite.maxOperations).allSatisfy { $0 != nil })
                #expect(stored.suffix(200).allSatisfy { $0 == nil })
                #expect(try await networks.get("n0")?.object.spec.name == "x")
                #expect(try await networks.get("n\(count - 1)")?.object.spec.name == "net\(count - 1)")
            }
        }
    }
}
