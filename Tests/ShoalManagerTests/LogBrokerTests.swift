import Foundation
import ShoalClusterProto
import ShoalCore
@testable import ShoalManager
import Testing

/// The leader's log broker on its in-memory seams: sessions as subscription streams, subscribers as batch streams.
@Suite struct LogBrokerTests {
    static func options(follow: Bool = false) -> Shoal_Cluster_V1_LogSubscriptionOptions {
        var options = Shoal_Cluster_V1_LogSubscriptionOptions()
        options.stdout = true
        options.stderr = true
        options.follow = follow
        return options
    }

    static var selector: Shoal_Cluster_V1_LogSelector {
        var selector = Shoal_Cluster_V1_LogSelector()
        selector.serviceIds = ["svc"]
        return selector
    }

    static func line(_ text: String, task: String) -> Shoal_Cluster_V1_LogMessage {
        var line = Shoal_Cluster_V1_LogMessage()
        line.context.taskID = task
        line.data = Data(text.utf8)
        line.stream = "stdout"
        return line
    }

    /// Everything the stream holds until it ends, and how it ended (nil: complete).
    static func drain(_ batches: AsyncThrowingStream<LogBroker.Batch, any Error>) async -> ([String], String?) {
        var lines: [String] = []
        do {
            for try await batch in batches { lines += batch.map { String(decoding: $0.data, as: UTF8.self) } }
            return (lines, nil)
        } catch {
            return (lines, (error as? ShoalError)?.message ?? "\(error)")
        }
    }

    @Test func theNodesHoldingTasksGetTheSubscriptionAndTheStreamEndsWhenAllHaveClosed() async throws {
        let broker = LogBroker()
        let (_, a) = await broker.attach(nodeID: "a")
        let (_, b) = await broker.attach(nodeID: "b")
        let (_, c) = await broker.attach(nodeID: "c")
        let (id, batches) = await broker.subscribe(selector: Self.selector, options: Self.options(), nodes: ["a", "b"])
        var sessionA = a.makeAsyncIterator()
        var sessionB = b.makeAsyncIterator()
        let toA = try #require(await sessionA.next())
        #expect(toA.id == id && toA.selector.serviceIds == ["svc"] && !toA.close)
        #expect(try #require(await sessionB.next()).id == id)
        // A node that holds none of the tasks is not asked (and so not waited for), nor may it publish.
        #expect(await broker.publisher(nodeID: "c", subscription: id) == nil)

        try await #require(await broker.publisher(nodeID: "a", subscription: id)).yieldWaiting([Self.line("a1\n", task: "t1")])
        await broker.closed(nodeID: "a", subscription: id, error: "")
        try await #require(await broker.publisher(nodeID: "b", subscription: id)).yieldWaiting([Self.line("b1\n", task: "t2")])
        await broker.closed(nodeID: "b", subscription: id, error: "")
        let (lines, end) = await Self.drain(batches)
        #expect(lines == ["a1\n", "b1\n"] && end == nil)
        #expect(await broker.subscriptionCount == 0)
        _ = c
    }

    @Test func aNodeWithoutSessionOrLosingItMakesTheStreamIncomplete() async throws {
        let broker = LogBroker()
        let (sessionA, _) = await broker.attach(nodeID: "a")
        let (id, batches) = await broker.subscribe(selector: Self.selector, options: Self.options(),
                                                   nodes: ["a", "down"])
        try await #require(await broker.publisher(nodeID: "a", subscription: id)).yieldWaiting([Self.line("x\n", task: "t")])
        await broker.detach(sessionA)
        let (lines, end) = await Self.drain(batches)
        #expect(lines == ["x\n"])
        #expect(end == "warning: incomplete log stream. some logs could not be retrieved for the following reasons: "
            + "node down is not available, node a is not available")
    }

    @Test func aNodeThatNeverPublishesIsGivenUpButOneThatDoesIsWaitedFor() async throws {
        let broker = LogBroker(silenceLimit: .milliseconds(100))
        _ = await broker.attach(nodeID: "silent")
        _ = await broker.attach(nodeID: "slow")
        let (id, batches) = await broker.subscribe(selector: Self.selector, options: Self.options(),
                                                   nodes: ["silent", "slow"])
        try await #require(await broker.publisher(nodeID: "slow", subscription: id)).yieldWaiting([Self.line("s\n", task: "t")])
        try await Task.sleep(for: .milliseconds(300))
        // Still open: the slow node has not closed yet.
        #expect(await broker.subscriptionCount == 1)
        await broker.closed(nodeID: "slow", subscription: id, error: "")
        let (lines, end) = await Self.drain(batches)
        #expect(lines == ["s\n"])
        #expect(end == LogBroker.incomplete(["node silent is not available"]))
    }

    @Test func noNodeToAskEndsAtOnce() async throws {
        let broker = LogBroker()
        let (_, batches) = await broker.subscribe(selector: Self.selector, options: Self.options(), nodes: [])
        let (lines, end) = await Self.drain(batches)
        #expect(lines.isEmpty && end == nil)
    }

    @Test func followReachesEveryNodeAndLaterSessionsAndTheSubscriberLeavingClosesIt() async throws {
        let broker = LogBroker()
        let (_, a) = await broker.attach(nodeID: "a")
        let (id, batches) = await broker.subscribe(selector: Self.selector, options: Self.options(follow: true),
                                                   nodes: [])
        var sessionA = a.makeAsyncIterator()
        #expect(try #require(await sessionA.next()).id == id)
        // A node whose session starts later (it may be given a task of the service) gets it too.
        let (bSession, b) = await broker.attach(nodeID: "b")
        var sessionB = b.makeAsyncIterator()
        #expect(try #require(await sessionB.next()).id == id)
        // Closing its part does not end a following stream.
        await broker.closed(nodeID: "a", subscription: id, error: "")
        try await #require(await broker.publisher(nodeID: "b", subscription: id)).yieldWaiting([Self.line("late\n", task: "t")])
        var reader = batches.makeAsyncIterator()
        #expect(try await reader.next()?.first?.data == Data("late\n".utf8))
        // A session that breaks gets it again with its next session.
        await broker.detach(bSession)
        let (_, b2) = await broker.attach(nodeID: "b")
        var sessionB2 = b2.makeAsyncIterator()
        #expect(try #require(await sessionB2.next()).id == id)

        await broker.cancel(id)
        let close = try #require(await sessionB2.next())
        #expect(close.id == id && close.close)
        #expect(await broker.publisher(nodeID: "b", subscription: id) == nil)
        #expect(try await reader.next() == nil)
    }

    @Test func aSlowSubscriberHoldsThePublisherBack() async throws {
        let broker = LogBroker()
        _ = await broker.attach(nodeID: "a")
        let (id, batches) = await broker.subscribe(selector: Self.selector, options: Self.options(), nodes: ["a"])
        let publisher = try #require(await broker.publisher(nodeID: "a", subscription: id))
        let total = LogBroker.bufferedBatches * 3
        let published = Task {
            for index in 0..<total { try await publisher.yieldWaiting([Self.line("\(index)\n", task: "t")]) }
            await broker.closed(nodeID: "a", subscription: id, error: "")
        }
        try await Task.sleep(for: .milliseconds(100))
        let (lines, end) = await Self.drain(batches)
        try await published.value
        #expect(lines == (0..<total).map { "\($0)\n" } && end == nil)
    }

    @Test func theLeadershipEndingEndsEverySubscription() async throws {
        let broker = LogBroker()
        _ = await broker.attach(nodeID: "a")
        let (_, batches) = await broker.subscribe(selector: Self.selector, options: Self.options(follow: true),
                                                  nodes: ["a"])
        await broker.finish()
        let (_, end) = await Self.drain(batches)
        #expect(end == "the swarm's leader changed")
    }
}
