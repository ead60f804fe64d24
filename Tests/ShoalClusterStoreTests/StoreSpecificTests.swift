import Glibc
import ShoalClusterStore
import ShoalCore
import ShoalTestSupport
import Testing

extension ClusterStoreSuites {
    /// What only the memory store has: compaction by hand, and the watches it holds.
    @Suite("memory store") struct Memory {
        @Test func compactionRefusesTheFutureAndThePast() async throws {
            let store = MemoryClusterStore()
            try await store.commit([.put("/a", [])], if: [])
            let second = try await store.commit([.put("/a", [1])], if: [])
            await #expect(throws: ShoalError.self) { try await store.compact(to: second.revision + 1) }
            try await store.compact(to: second.revision)
            await #expect(throws: ShoalError.self) { try await store.compact(to: second.revision) }
            #expect(await store.get("/a")?.value == [1])
        }

        @Test func aCancelledWatchIsLetGo() async throws {
            let store = MemoryClusterStore()
            let watch = try await store.watch(prefix: "/", from: 1)
            let other = try await store.watch(prefix: "/", from: 1)
            #expect(await store.openWatches == 2)
            watch.cancel()
            let consumer = Task { for try await _ in other {} }
            consumer.cancel()
            try await consumer.value
            // The store forgets a watch from the stream's termination handler, a moment after the cancel.
            while await store.openWatches > 0 { try await Task.sleep(for: .milliseconds(10)) }
            try await store.commit([.put("/after", [])], if: [])
        }
    }

    /// What only etcd does: members go away and come back.
    @Suite("etcd store") struct Etcd {
        /// The member dies (SIGKILL) and its supervisor starts it again: the watch resumes on it from the revision
        /// after the last change it delivered, and neither loses nor repeats a change.
        @Test func aWatchSurvivesAMemberRestart() async throws {
            try await TestRun.with("store-restart") { run in
                let cluster = try await EtcdTestCluster.start(run)
                let member = cluster.members[0]
                try await withClient(try cluster.client()) { client in
                    let store = EtcdClusterStore(client: client)
                    let start = try await store.commit([.put("/r/0", [])], if: []).revision
                    var events = try await store.watch(prefix: "/r/", from: start).makeAsyncIterator()
                    try await store.commit([.put("/r/1", [])], if: [])
                    #expect(try await events.take(2).map(\.summary) == ["put /r/0 ", "put /r/1 "])

                    let first = try #require(await member.pid)
                    kill(first, SIGKILL)
                    // Write once the supervisor has seen the death, so the writes land while the watch is away; the
                    // client retries each call until the member is back (or its 30 s deadline passes).
                    while await member.pid == first { try await Task.sleep(for: .milliseconds(20)) }
                    try await store.commit([.put("/r/2", [])], if: [])
                    try await store.commit([.delete("/r/1")], if: [])
                    let last = try await store.commit([.put("/r/3", [])], if: []).revision
                    #expect(await member.restarts == 1)

                    let resumed = try await events.take(3)
                    #expect(resumed.map(\.summary) == ["put /r/2 ", "delete /r/1", "put /r/3 "])
                    #expect(resumed.map(\.revision) == [last - 2, last - 1, last])
                    // Nothing after that: the next change is the next event.
                    try await store.commit([.put("/r/4", [])], if: [])
                    #expect(try await events.take(1).map(\.summary) == ["put /r/4 "])
                }
            }
        }
    }
}
