import Foundation
import ShoalModel
import Testing
@testable import ShoalManager

/// A node session is told at its node's pace: what changes while the node has not read its last message is
/// gathered into the next one, each task as it then stands.
@Suite struct AssignmentFeedTests {
    private func task(_ id: String, node: String = "n1", image: String = "app:1",
                      desired: TaskState = .running) -> SwarmTask {
        var spec = ServiceStoreTests.spec("web").taskTemplate
        spec.containerSpec.image = image
        let made = Date(timeIntervalSince1970: 1_800_000_000)
        return SwarmTask(id: id, version: 1, createdAt: made, serviceID: "s1", slot: 1, nodeID: node, spec: spec,
                         desiredState: desired, status: TaskStatus(timestamp: made, state: .assigned))
    }

    /// A round's changes to tasks of no service and no network.
    static func changes(_ changed: [SwarmTask], removed: [String] = []) -> AssignmentFeed.Update {
        AssignmentFeed.Update(changed: changed, removed: removed, serviceNames: [:], networkNames: [:])
    }

    @Test func aSessionThatReadsLateGetsOneMessageWithWhatStandsNow() async throws {
        let feed = AssignmentFeed()
        await feed.update(Self.changes([task("t1")]))
        let (id, updates) = await feed.subscribe(nodeID: "n1")
        var iterator = updates.makeAsyncIterator()
        let full = try #require(await iterator.next())
        #expect(full.full && full.upserted.map(\.task.id) == ["t1"])

        // Four rounds while the session does not read: t1 changes twice, t2 comes, t3 comes and goes, a task of
        // another node changes. The session then reads one message with t1's last image and t2.
        await feed.update(Self.changes([task("t1", image: "app:2"), task("t2")]))
        await feed.update(Self.changes([task("t1", image: "app:3"), task("t3")]))
        await feed.update(Self.changes([], removed: ["t3"]))
        await feed.update(Self.changes([task("t9", node: "n2")]))
        let gathered = try #require(await iterator.next())
        #expect(!gathered.full)
        #expect(gathered.upserted.map(\.task.id) == ["t1", "t2"])
        #expect(gathered.upserted.first?.task.spec.containerSpec.image == "app:3")
        #expect(gathered.removed.isEmpty)

        // A change that tells the node nothing new (its own status) makes no message: the next one is t1 wanted
        // down (its node stops it), and then t2 removed from the node.
        var reported = task("t2")
        reported.status = TaskStatus(timestamp: Date(), state: .running)
        await feed.update(Self.changes([reported]))
        await feed.update(Self.changes([task("t1", image: "app:3", desired: .shutdown)]))
        let down = try #require(await iterator.next())
        #expect(down.upserted.map(\.task.id) == ["t1"] && down.removed.isEmpty)
        #expect(down.upserted.first?.task.desiredState == TaskState.shutdown.rawValue)
        await feed.update(Self.changes([], removed: ["t2"]))
        #expect(try #require(await iterator.next()).removed == ["t2"])

        // Cancelling the session ends its stream, also while it waits.
        let reader = Task { await iterator.next() }
        try await Task.sleep(for: .milliseconds(50))
        await feed.cancel(id)
        #expect(await reader.value == nil)
    }
}
