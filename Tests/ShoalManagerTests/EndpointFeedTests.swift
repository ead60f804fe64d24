import ShoalAllocator
import ShoalClusterProto
import Testing
@testable import ShoalManager

/// What node sessions hear of the endpoints on swarm-scoped networks: a full set without their own and without
/// those of Down nodes, then each change; a node going Down withdraws its endpoints, coming back restores them.
@Suite struct EndpointFeedTests {
    static func attachment(_ id: String, node: String) -> SwarmAttachment {
        var attachment = SwarmAttachment()
        attachment.id = id
        attachment.nodeID = node
        attachment.networkID = "net"
        return attachment
    }

    @Test func sessionsGetTheFullSetThenChangesOfOtherNodesOnly() async throws {
        let feed = EndpointFeed(attachments: [Self.attachment("a", node: "n1"), Self.attachment("b", node: "n2"),
                                              Self.attachment("c", node: "n3")],
                                downNodes: ["n3"])
        let (id, updates) = await feed.subscribe(nodeID: "n1")
        var iterator = updates.makeAsyncIterator()
        let full = try #require(await iterator.next())
        #expect(full.full && full.upserted.map(\.id) == ["b"])

        await feed.added(Self.attachment("d", node: "n2"))
        await feed.added(Self.attachment("e", node: "n1"))  // its own: not told
        await feed.removed(Self.attachment("b", node: "n2"))
        let added = try #require(await iterator.next())
        #expect(!added.full && added.upserted.map(\.id) == ["d"] && added.removed.isEmpty)
        let removed = try #require(await iterator.next())
        #expect(removed.upserted.isEmpty && removed.removed == ["b"])

        await feed.nodeDown("n2")
        let down = try #require(await iterator.next())
        #expect(down.removed == ["d"])
        await feed.nodeReady("n3")
        let back = try #require(await iterator.next())
        #expect(back.upserted.map(\.id) == ["c"])

        await feed.cancel(id)
        #expect(await iterator.next() == nil)
    }

    /// A task's endpoint takes its service's names when its node reports it running, before the store and the
    /// next round have that state, but only while the rounds have it pending (wanted up, not running in the
    /// store yet). A round that stores it running changes nothing for the other nodes; a failure reported next,
    /// or a round that wants the task down, takes the names away again.
    @Test func aPendingTaskServesFromItsNodesReport() async throws {
        func taskEndpoint(_ id: String, task: String) -> SwarmAttachment {
            var endpoint = Self.attachment(id, node: "n2")
            endpoint.taskID = task
            endpoint.dnsNames = ["web.1.\(task)", "tasks.web", "web"]
            return endpoint
        }
        let serves = ["web.1.t1", "tasks.web", "web"], bare = ["web.1.t1"]
        let feed = EndpointFeed(attachments: [taskEndpoint("a", task: "t1"), taskEndpoint("b", task: "t2")],
                                downNodes: [], pending: ["t1"])
        let (_, updates) = await feed.subscribe(nodeID: "n1")
        var iterator = updates.makeAsyncIterator()
        #expect(try #require(await iterator.next()).full)

        // t2 is not pending (the store has it wanted down, say): its running report gives it nothing. t1's does.
        await feed.reported([("t2", true), ("t1", true)])
        var next = try #require(await iterator.next())
        #expect(next.upserted.map(\.id) == ["a"] && next.upserted.first?.dnsNames == serves)

        // The round that stores t1 running tells nobody anything new; a report of t1 wanted down by a later
        // round then strips it.
        await feed.setServing(["t1"], pending: [])
        await feed.reported([("t1", false)])  // already in the store's hands: the rounds decide now
        await feed.setServing([], pending: [])
        next = try #require(await iterator.next())
        #expect(next.upserted.map(\.id) == ["a"] && next.upserted.first?.dnsNames == bare)

        // Pending again (a restart), reported running, then failed before any round: the names come and go.
        await feed.setServing([], pending: ["t1"])
        await feed.reported([("t1", true)])
        #expect(try #require(await iterator.next()).upserted.first?.dnsNames == serves)
        await feed.reported([("t1", false)])
        #expect(try #require(await iterator.next()).upserted.first?.dnsNames == bare)

        // Reported running, then a round that no longer has it pending (wanted down): the names go, before its
        // node hears it must stop.
        await feed.reported([("t1", true)])
        #expect(try #require(await iterator.next()).upserted.first?.dnsNames == serves)
        await feed.setServing([], pending: [])
        #expect(try #require(await iterator.next()).upserted.first?.dnsNames == bare)
    }
}

