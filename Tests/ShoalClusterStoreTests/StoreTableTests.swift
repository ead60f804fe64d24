import ShoalClusterStore
import ShoalCore
import ShoalClusterProto
import Testing

typealias Network = Shoal_Cluster_V1_Network
typealias NetworkAttachment = Shoal_Cluster_V1_NetworkAttachment

func network(_ id: String, name: String, vni: UInt32 = 0) -> Network {
    var network = Network()
    network.id = id
    network.spec.name = name
    network.spec.driver = "overlay"
    network.spec.labels = ["b": "2", "a": "1"]
    network.vni = vni
    return network
}

func attachment(_ id: String, network: String, address: String) -> NetworkAttachment {
    var attachment = NetworkAttachment()
    attachment.id = id
    attachment.networkID = network
    attachment.address = address
    attachment.prefixLength = 24
    return attachment
}

extension ClusterStoreSuites {
    /// Typed tables and the leader's fence, against both stores.
    @Suite("typed tables and fencing") struct Tables {
        @Test(arguments: StoreKind.allCases) func createUpdateDelete(_ kind: StoreKind) async throws {
            try await withStore(kind) { harness in
                let store = harness.store
                let networks = StoreTable<Network>(store)
                let created = try await store.commit(try networks.create(network("n1", name: "app")))
                #expect(created.succeeded)
                let read = try #require(try await networks.get("n1"))
                #expect(read.object == network("n1", name: "app"))
                #expect(read.version == created.revision && read.createRevision == created.revision)
                // The key layout is the table's business; here it is checked once.
                #expect(try await store.get("/shoal/objects/networks/n1")?.modRevision == read.version)

                // A second create of the same ID is refused.
                #expect(try await !store.commit(try networks.create(network("n1", name: "other"))).succeeded)

                // Update if the version still holds; a writer with a stale version is refused.
                var changed = read.object
                changed.vni = 4097
                let updated = try await store.commit(try networks.update(changed, ifVersion: read.version))
                #expect(updated.succeeded)
                var stale = read.object
                stale.spec.name = "lost update"
                #expect(try await !store.commit(try networks.update(stale, ifVersion: read.version)).succeeded)
                let current = try #require(try await networks.get("n1"))
                #expect(current.object.vni == 4097 && current.object.spec.name == "app")
                #expect(current.version == updated.revision && current.createRevision == read.createRevision)

                // Delete: with a stale version refused, with the current one done.
                #expect(try await !store.commit(try networks.delete("n1", ifVersion: read.version)).succeeded)
                #expect(try await store.commit(try networks.delete("n1", ifVersion: current.version)).succeeded)
                #expect(try await networks.get("n1") == nil)

                // IDs are one path segment.
                for id in ["", "a/b"] {
                    let error = #expect(throws: ShoalError.self) { try networks.create(network(id, name: "x")) }
                    #expect(error?.code == .invalidArgument)
                }
            }
        }

        @Test(arguments: StoreKind.allCases) func tablesAreSeparateAndWritesCombine(_ kind: StoreKind) async throws {
            try await withStore(kind) { harness in
                let store = harness.store
                let networks = StoreTable<Network>(store)
                let attachments = StoreTable<NetworkAttachment>(store)
                // One network with its first attachment, atomically.
                let both = try networks.create(network("n2", name: "b")) + attachments.create(attachment("a1", network: "n2", address: "10.0.0.2"))
                let commit = try await store.commit(both)
                #expect(commit.succeeded)
                try await store.commit(try networks.create(network("n1", name: "a")))
                #expect(try await networks.list().map(\.id) == ["n1", "n2"])
                #expect(try await attachments.list().map(\.object) == [attachment("a1", network: "n2", address: "10.0.0.2")])
                #expect(try await attachments.get("a1")?.version == commit.revision)

                // An attachment made only while its network is unchanged: a network that moved on refuses it.
                let n2 = try #require(try await networks.get("n2"))
                let guarded = try attachments.create(attachment("a2", network: "n2", address: "10.0.0.3"))
                    + networks.unchanged("n2", sinceVersion: n2.version)
                var renamed = n2.object
                renamed.spec.name = "renamed"
                try await store.commit(try networks.update(renamed, ifVersion: n2.version))
                #expect(try await !store.commit(guarded).succeeded)
                #expect(try await attachments.get("a2") == nil)

                let snapshot = try await networks.snapshot()
                #expect(snapshot.objects.map(\.object.spec.name) == ["a", "renamed"])
                #expect(snapshot.revision == (try await store.snapshot(prefix: "/").revision))
            }
        }

        @Test(arguments: StoreKind.allCases) func typedWatch(_ kind: StoreKind) async throws {
            try await withStore(kind) { harness in
                let store = harness.store
                let networks = StoreTable<Network>(store)
                let attachments = StoreTable<NetworkAttachment>(store)
                let snapshot = try await networks.snapshot()
                var events = try await networks.watch(from: snapshot.revision + 1).makeAsyncIterator()
                let created = try await store.commit(try networks.create(network("n1", name: "a")))
                try await store.commit(try attachments.create(attachment("a1", network: "n1", address: "10.0.0.2")))
                var updated = network("n1", name: "a")
                updated.vni = 7
                let update = try await store.commit(try networks.update(updated, ifVersion: created.revision))
                let deletion = try await store.commit(try networks.delete("n1"))
                let seen = try await events.take(3)
                #expect(seen == [
                    .put(Versioned(object: network("n1", name: "a"), version: created.revision, createRevision: created.revision)),
                    .put(Versioned(object: updated, version: update.revision, createRevision: created.revision)),
                    .delete(id: "n1", revision: deletion.revision),
                ])

                try await harness.compact(deletion.revision)
                var old = try await networks.watch(from: snapshot.revision + 1).makeAsyncIterator()
                #expect(try await old.next() == .compacted(deletion.revision))
                #expect(try await old.next() == nil)
            }
        }

        @Test(arguments: StoreKind.allCases) func aDeposedLeadersFencedWritesFail(_ kind: StoreKind) async throws {
            try await withStore(kind) { harness in
                let store = harness.store
                let networks = StoreTable<Network>(store)
                #expect(try await LeaderFence.current(in: store) == nil)
                let first = try await LeaderFence.claim(for: "node-a", in: store)
                #expect(try await LeaderFence.current(in: store) == first)
                #expect(try await store.commit(try networks.create(network("n1", name: "a")).fenced(by: first)).succeeded)
                // Other writes do not move the fence.
                try await store.commit(try networks.create(network("n2", name: "b")))
                #expect(try await store.commit(try networks.delete("n2").fenced(by: first)).succeeded)

                // A second leader claims: the first one's fenced writes fail from then on, the second one's pass.
                let second = try await LeaderFence.claim(for: "node-b", in: store)
                #expect(second.revision > first.revision)
                #expect(try await LeaderFence.current(in: store) == second)
                #expect(try await !store.commit(try networks.create(network("n3", name: "c")).fenced(by: first)).succeeded)
                #expect(try await !store.commit([.put("/raw", [])], if: [first.condition]).succeeded)
                #expect(try await networks.get("n3") == nil)
                #expect(try await store.commit(try networks.create(network("n3", name: "c")).fenced(by: second)).succeeded)

                // The first node winning again is a new term: its old fence stays dead, and so does the second's.
                let third = try await LeaderFence.claim(for: "node-a", in: store)
                #expect(try await !store.commit(try networks.delete("n3").fenced(by: first)).succeeded)
                #expect(try await !store.commit(try networks.delete("n3").fenced(by: second)).succeeded)
                #expect(try await store.commit(try networks.delete("n3").fenced(by: third)).succeeded)
            }
        }

        @Test(arguments: StoreKind.allCases) func aFencedCommitTellsAConflictFromADeposedTerm(_ kind: StoreKind) async throws {
            try await withStore(kind) { harness in
                let store = harness.store
                let networks = StoreTable<Network>(store)
                let term = try await LeaderFence.claim(for: "node-a", in: store)
                let created = try await term.commit(try networks.create(network("n1", name: "a")), in: store)
                let stored = try #require(try await networks.get("n1"))
                #expect(created == .committed(revision: stored.version))
                // Its own object changed under it: a conflict, the term still holds.
                #expect(try await term.commit(try networks.create(network("n1", name: "a")), in: store) == .conflicted)
                _ = try await LeaderFence.claim(for: "node-b", in: store)
                #expect(try await term.commit(try networks.delete("n1"), in: store) == .deposed)
                #expect(try await networks.get("n1") != nil)
            }
        }
    }
}
