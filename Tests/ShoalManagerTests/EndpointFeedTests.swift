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
}
