import Testing
@testable import ShoalAgent

/// A node's task states on their way to the leader: one alone goes at once; those that come while a batch is on its
/// way go in the next batch, once per task, at its latest state, in first-come order; those of tasks the node no
/// longer has are dropped.
@Suite struct StatusOutboxTests {
    actor Sent {
        var batches: [[String]] = []
        func add(_ batch: [String]) { batches.append(batch) }
    }

    @Test func aBurstGoesInOneBatchWithEachTasksLatestState() async throws {
        let sent = Sent()
        let (release, releaser) = AsyncStream<Void>.makeStream()
        let (onItsWay, announce) = AsyncStream<Void>.makeStream()
        let outbox = StatusOutbox<String>(gather: .zero) { batch in
            await sent.add(batch)
            guard batch == ["a:accepted"] else { return }
            // The first batch stays on its way until the test has recorded the burst.
            announce.yield()
            for await _ in release { break }
        }
        await outbox.record("a", "a:accepted")
        for await _ in onItsWay { break }
        for (task, state) in [("a", "preparing"), ("b", "accepted"), ("a", "starting"), ("c", "accepted"),
                              ("b", "running"), ("a", "running")] {
            await outbox.record(task, "\(task):\(state)")
        }
        await outbox.keep { $0 != "c" }
        releaser.yield()
        var batches: [[String]] = []
        for _ in 0..<1000 where batches.count < 2 {
            try await Task.sleep(for: .milliseconds(5))
            batches = await sent.batches
        }
        #expect(batches == [["a:accepted"], ["a:running", "b:running"]])

        // Quiet again: the next state goes alone.
        await outbox.record("b", "b:shutdown")
        for _ in 0..<1000 where batches.count < 3 {
            try await Task.sleep(for: .milliseconds(5))
            batches = await sent.batches
        }
        #expect(batches.last == ["b:shutdown"])
    }

    /// The leader sizes the window to the cluster: once told none, a state that comes right after a batch goes
    /// at once instead of waiting out the window the outbox began with.
    @Test func aWindowToldLaterReplacesTheFirst() async throws {
        let sent = Sent()
        let outbox = StatusOutbox<String>(gather: .seconds(3600)) { batch in await sent.add(batch) }
        await outbox.setGather(.zero)
        var batches: [[String]] = []
        for (index, state) in ["a:accepted", "a:running"].enumerated() {
            await outbox.record("a", state)
            for _ in 0..<1000 where batches.count <= index {
                try await Task.sleep(for: .milliseconds(5))
                batches = await sent.batches
            }
        }
        #expect(batches == [["a:accepted"], ["a:running"]])
    }
}
