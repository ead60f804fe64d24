import ShoalClusterStore
import ShoalCore
import Testing

extension ClusterStoreSuites {
    /// The contract of `ClusterStore`, run against the memory store and a real etcd alike.
    @Suite("contract") struct Contract {
        @Test(arguments: StoreKind.allCases) func revisions(_ kind: StoreKind) async throws {
            try await withStore(kind) { harness in
                let store = harness.store
                let empty = try await store.snapshot(prefix: "/")
                #expect(empty.values.isEmpty && empty.revision == 1)

                let first = try await store.commit([.put("/a", bytes("1"))], if: [])
                #expect(first == StoreCommit(succeeded: true, revision: 2))
                #expect(try await store.get("/a") == StoredValue(key: "/a", value: bytes("1"), createRevision: 2, modRevision: 2))

                // One commit, one revision, whatever it changes.
                let second = try await store.commit([.put("/a", bytes("2")), .put("/b", bytes("b"))], if: [])
                #expect(second.revision == 3)
                #expect(try await store.get("/a") == StoredValue(key: "/a", value: bytes("2"), createRevision: 2, modRevision: 3))
                #expect(try await store.get("/b")?.createRevision == 3)

                // A commit that changes nothing does not move the revision, nor does a refused one.
                #expect(try await store.commit([.delete("/missing")], if: []) == StoreCommit(succeeded: true, revision: 3))
                #expect(try await store.commit([.put("/c", [])], if: [.absent("/a")]) == StoreCommit(succeeded: false, revision: 3))
                #expect(try await store.get("/c") == nil)

                // A key deleted and written again is a new incarnation: a new create revision.
                #expect(try await store.commit([.delete("/a")], if: []).revision == 4)
                #expect(try await store.get("/a") == nil)
                #expect(try await store.commit([.put("/a", bytes("3"))], if: []).revision == 5)
                #expect(try await store.get("/a")?.createRevision == 5)

                try await store.commit([.put("/p/2", []), .put("/p/1", []), .put("/q", [])], if: [])
                let snapshot = try await store.snapshot(prefix: "/p/")
                #expect(snapshot.values.map(\.key) == ["/p/1", "/p/2"])
                #expect(snapshot.revision == 6)
                #expect(try await store.list(prefix: "/").map(\.key) == ["/a", "/b", "/p/1", "/p/2", "/q"])
                #expect(try await store.commit([.deletePrefix("/p/")], if: []).revision == 7)
                #expect(try await store.list(prefix: "/").map(\.key) == ["/a", "/b", "/q"])
            }
        }

        @Test(arguments: StoreKind.allCases) func conditions(_ kind: StoreKind) async throws {
            try await withStore(kind) { harness in
                let store = harness.store
                // Create if absent: the first wins.
                #expect(try await store.commit([.put("/lock", bytes("one"))], if: [.absent("/lock")]).succeeded)
                #expect(try await !store.commit([.put("/lock", bytes("two"))], if: [.absent("/lock")]).succeeded)
                #expect(try await store.get("/lock")?.value == bytes("one"))

                // Compare-and-swap on the mod revision: a stale revision loses and changes nothing.
                let read = try #require(try await store.get("/lock"))
                #expect(try await store.commit([.put("/lock", bytes("three"))], if: [.modRevision("/lock", read.modRevision)]).succeeded)
                let stale = try await store.commit(
                    [.put("/lock", bytes("four")), .put("/other", [])], if: [.modRevision("/lock", read.modRevision)])
                #expect(!stale.succeeded)
                #expect(try await store.get("/lock")?.value == bytes("three"))
                #expect(try await store.get("/other") == nil)

                // Every condition must hold. A missing key's mod revision is 0, as in etcd.
                #expect(try await !store.commit([.put("/x", [])], if: [.absent("/x"), .absent("/lock")]).succeeded)
                #expect(try await store.commit([.put("/x", [])], if: [.absent("/x"), .modRevision("/y", 0)]).succeeded)

                // A commit that changes one key twice is refused outright, by both stores.
                for changes: [StoreChange] in [
                    [.put("/d", bytes("1")), .put("/d", bytes("2"))],
                    [.put("/d/1", []), .deletePrefix("/d/")],
                    [.delete("/d"), .put("/d", [])],
                ] {
                    let error = await #expect(throws: ShoalError.self) { try await store.commit(changes, if: []) }
                    #expect(error?.code == .invalidArgument)
                }
            }
        }

        /// A consumer that reads a snapshot and then watches from its revision + 1 sees every later change exactly
        /// once, however its reads interleave with a writer's commits.
        @Test(arguments: StoreKind.allCases) func snapshotThenWatchMissesAndRepeatsNothing(_ kind: StoreKind) async throws {
            try await withStore(kind) { harness in
                let store = harness.store
                for index in 0..<10 { try await store.commit([.put("/w/\(index)", bytes("v0"))], if: []) }
                // The writer carries on while the consumer reads: one change per commit, so the revisions under
                // /w/ have no gaps.
                let writer = Task {
                    for index in 0..<30 {
                        let key = "/w/\(index % 10)"
                        let change: StoreChange = index % 7 == 6 ? .delete(key) : .put(key, bytes("v\(index + 1)"))
                        try await store.commit([change], if: [])
                    }
                }
                let snapshot = try await store.snapshot(prefix: "/w/")
                let watch = try await store.watch(prefix: "/w/", from: snapshot.revision + 1)
                try await writer.value
                // The last change is sure to come after the snapshot, however the writer raced it.
                let last = try await store.commit([.put("/w/end", [])], if: []).revision

                var state = Dictionary(uniqueKeysWithValues: snapshot.values.map { ($0.key, $0.value) })
                var revisions: [Int64] = []
                for try await event in watch {
                    revisions.append(event.revision)
                    switch event {
                    case .put(let value): state[value.key] = value.value
                    case .delete(let key, _): state[key] = nil
                    case .compacted: Issue.record("nothing was compacted")
                    }
                    if event.revision == last { break }
                }
                #expect(revisions == Array((snapshot.revision + 1)...last))
                let final = try await store.snapshot(prefix: "/w/")
                #expect(final.revision == last)
                #expect(state == Dictionary(uniqueKeysWithValues: final.values.map { ($0.key, $0.value) }))
            }
        }

        @Test(arguments: StoreKind.allCases) func watchReplaysFromARevisionAndFollowsOnlyItsPrefix(_ kind: StoreKind) async throws {
            try await withStore(kind) { harness in
                let store = harness.store
                let start = try await store.commit([.put("/w/a", bytes("1"))], if: []).revision
                try await store.commit([.put("/w/a", bytes("2")), .put("/elsewhere", [])], if: [])
                var events = try await store.watch(prefix: "/w/", from: start).makeAsyncIterator()
                try await store.commit([.put("/elsewhere", bytes("again"))], if: [])
                try await store.commit([.deletePrefix("/w/")], if: [])
                try await store.commit([.put("/w/b", bytes("3"))], if: [])
                let seen = try await events.take(4)
                #expect(seen.map(\.summary) == ["put /w/a 1", "put /w/a 2", "delete /w/a", "put /w/b 3"])
                #expect(seen.map(\.revision) == [start, start + 1, start + 3, start + 4])
                if case .put(let value) = seen[1] {
                    #expect(value.createRevision == start && value.modRevision == start + 1)
                }
                // A watch from a revision not yet reached waits for it.
                var later = try await store.watch(prefix: "/w/", from: start + 6).makeAsyncIterator()
                try await store.commit([.put("/w/c", bytes("4"))], if: [])
                try await store.commit([.put("/w/d", bytes("5"))], if: [])
                #expect(try await later.take(1).map(\.summary) == ["put /w/d 5"])
                await #expect(throws: ShoalError.self) { try await store.watch(prefix: "/w/", from: 0) }
            }
        }

        @Test(arguments: StoreKind.allCases) func aWatchFromACompactedRevisionReportsIt(_ kind: StoreKind) async throws {
            try await withStore(kind) { harness in
                let store = harness.store
                let first = try await store.commit([.put("/c/a", bytes("1"))], if: []).revision
                try await store.commit([.put("/c/a", bytes("2"))], if: [])
                let kept = try await store.commit([.put("/c/b", bytes("3"))], if: []).revision
                try await harness.compact(kept)

                var events = try await store.watch(prefix: "/c/", from: first).makeAsyncIterator()
                #expect(try await events.next() == .compacted(kept))
                #expect(try await events.next() == nil)

                // The consumer's way back: a fresh snapshot, then a watch from its revision + 1.
                let snapshot = try await store.snapshot(prefix: "/c/")
                #expect(snapshot.values.map(\.value) == [bytes("2"), bytes("3")])
                var resumed = try await store.watch(prefix: "/c/", from: snapshot.revision + 1).makeAsyncIterator()
                try await store.commit([.put("/c/c", bytes("4"))], if: [])
                #expect(try await resumed.take(1).map(\.summary) == ["put /c/c 4"])
                // The compacted revision itself is still kept.
                var fromKept = try await store.watch(prefix: "/c/", from: kept).makeAsyncIterator()
                #expect(try await fromKept.take(2).map(\.summary) == ["put /c/b 3", "put /c/c 4"])
            }
        }

        @Test(arguments: StoreKind.allCases) func aWatchEndsWhenItsTaskIsCancelledOrItIsCancelled(_ kind: StoreKind) async throws {
            try await withStore(kind) { harness in
                let store = harness.store
                let start = try await store.snapshot(prefix: "/e/").revision + 1
                let watch = try await store.watch(prefix: "/e/", from: start)
                let (seen, seenOne) = AsyncStream<Void>.makeStream()
                let consumer = Task { () -> Int in
                    var count = 0
                    for try await _ in watch {
                        count += 1
                        seenOne.yield()
                    }
                    return count
                }
                try await store.commit([.put("/e/1", [])], if: [])
                var signals = seen.makeAsyncIterator()
                _ = await signals.next()
                consumer.cancel()
                #expect(try await consumer.value == 1)

                // cancel() ends it too, after what it had already received.
                var second = try await store.watch(prefix: "/e/", from: start).makeAsyncIterator()
                #expect(try await second.take(1).map(\.summary) == ["put /e/1 "])
                let third = try await store.watch(prefix: "/e/", from: start)
                third.cancel()
                var after = 0
                for try await _ in third { after += 1 }
                #expect(after <= 1)
            }
        }
    }
}
