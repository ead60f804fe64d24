import Foundation
import Logging
import ShoalClusterStore
import ShoalModel
import Testing
@testable import ShoalManager

/// The leader's judge of node health on the memory store: state follows any heartbeat (sessions and probes),
/// a manager's reachability follows the probes of its control API alone.
@Suite struct NodeHealthTests {
    static func manager(_ id: String) -> SwarmNode {
        var node = SwarmObjectsTests.node(id, role: .manager)
        node.spec.availability = .active
        return node
    }

    @Test func aManagerWhoseAPIStopsAnsweringIsUnreachableButStaysReady() async throws {
        let store = MemoryClusterStore()
        let objects = SwarmObjects(store: store, clusterID: "c1")
        for id in ["m2", "m3"] { #expect(try await objects.createNode(Self.manager(id))) }
        let fence = try await LeaderFence.claim(for: "m1", in: store)
        // Long enough that the steps between the last probes and the judgement never take three periods, even
        // on a loaded machine (the judgement is what is tested, not the clock).
        let period = Duration.milliseconds(250)
        let health = NodeHealth(objects: objects, fence: fence, feed: EndpointFeed(attachments: [], downNodes: []),
                                ready: ["m2", "m3"], period: period, logger: Logger(label: "test"))
        await health.recordProbes(asked: ["m2", "m3"], answered: ["m2", "m3"], period: period)
        // Long past three periods: m2 still answers probes; m3's agent still heartbeats, its API is silent.
        try await Task.sleep(for: .milliseconds(800))
        try await health.heartbeat("m3", period: period)
        await health.recordProbes(asked: ["m2", "m3"], answered: ["m2"], period: period)
        await health.expire()
        let m2 = try #require(try await objects.node("m2"))
        let m3 = try #require(try await objects.node("m3"))
        #expect(m2.status.state == .ready && m2.managerStatus?.reachability == .reachable)
        #expect(m3.status.state == .ready && m3.managerStatus?.reachability == .unreachable)

        // It answers again: Reachable.
        await health.recordProbes(asked: ["m3"], answered: ["m3"], period: period)
        #expect(try await objects.node("m3")?.managerStatus?.reachability == .reachable)
    }

    @Test func aManagerThatIsGoneIsDownAndUnreachable() async throws {
        let store = MemoryClusterStore()
        let objects = SwarmObjects(store: store, clusterID: "c1")
        #expect(try await objects.createNode(Self.manager("m2")))
        let fence = try await LeaderFence.claim(for: "m1", in: store)
        let period = Duration.milliseconds(10)
        let health = NodeHealth(objects: objects, fence: fence, feed: EndpointFeed(attachments: [], downNodes: []),
                                ready: ["m2"], period: period, logger: Logger(label: "test"))
        await health.recordProbes(asked: ["m2"], answered: [], period: period)
        try await Task.sleep(for: .milliseconds(100))
        await health.expire()
        let m2 = try #require(try await objects.node("m2"))
        #expect(m2.status.state == .down && m2.managerStatus?.reachability == .unreachable)
    }

    /// A node marked Down heartbeats while the Down is still on its way to the store: the store ends with Ready,
    /// whatever order the two writes land in (the judge writes until the store holds its latest judgement).
    @Test func aHeartbeatDuringTheDownWriteLeavesTheNodeReady() async throws {
        let objects = try await Self.heartbeatOfW1WhileTheDownIsHeld(workers: ["w1"])
        #expect(try await objects.node("w1")?.status.state == .ready)
    }

    /// Workers judged Down together; `w1` heartbeats while their Down is held on its way to the store (the
    /// heartbeat reads the node as still Ready, so it has nothing to write itself). Returns the store's objects.
    static func heartbeatOfW1WhileTheDownIsHeld(workers: [String]) async throws -> SwarmObjects {
        let store = HeldStore()
        let objects = SwarmObjects(store: store, clusterID: "c1")
        for id in workers {
            var worker = SwarmObjectsTests.node(id)
            worker.spec.availability = .active
            #expect(try await objects.createNode(worker))
        }
        let fence = try await LeaderFence.claim(for: "m1", in: store)
        let period = Duration.milliseconds(10)
        let health = NodeHealth(objects: objects, fence: fence, feed: EndpointFeed(attachments: [], downNodes: []),
                                ready: workers, period: period, logger: Logger(label: "test"))
        try await Task.sleep(for: .milliseconds(100))
        store.hold()
        async let expiring: Void = health.expire()
        for _ in 0..<2000 where !store.blocked { try await Task.sleep(for: .milliseconds(5)) }
        #expect(store.blocked)
        try await health.heartbeat("w1", period: period)
        store.release()
        await expiring
        return objects
    }

    /// Nodes that go silent together are written Down in one write (the pipeline then replaces all their tasks in
    /// one round); a node the store no longer has does not hold the others back.
    @Test func nodesThatGoSilentTogetherAreDownInOneWrite() async throws {
        let store = MemoryClusterStore()
        let objects = SwarmObjects(store: store, clusterID: "c1")
        for id in ["w1", "w2", "w3", "gone"] {
            var worker = SwarmObjectsTests.node(id)
            worker.spec.availability = .active
            #expect(try await objects.createNode(worker))
        }
        try await objects.deleteNode("gone")
        let fence = try await LeaderFence.claim(for: "m1", in: store)
        let period = Duration.milliseconds(10)
        let health = NodeHealth(objects: objects, fence: fence, feed: EndpointFeed(attachments: [], downNodes: []),
                                ready: ["w1", "w2", "w3", "gone"], period: period, logger: Logger(label: "test"))
        try await Task.sleep(for: .milliseconds(100))
        await health.expire()
        var nodes: [SwarmNode] = []
        for id in ["w1", "w2", "w3"] { nodes.append(try #require(try await objects.node(id))) }
        #expect(nodes.allSatisfy { $0.status.state == .down && $0.status.message == "heartbeat failure" })
        #expect(Set(nodes.map(\.version)).count == 1, "\(nodes.map(\.version))")
        #expect(try await objects.node("gone") == nil)
    }

    /// One of the nodes heartbeats while their common Down write is on its way: it ends Ready, the other Down.
    @Test func aHeartbeatDuringACommonDownWriteLeavesThatNodeReady() async throws {
        let objects = try await Self.heartbeatOfW1WhileTheDownIsHeld(workers: ["w1", "w2"])
        #expect(try await objects.node("w1")?.status.state == .ready)
        #expect(try await objects.node("w2")?.status.state == .down)
    }
}
