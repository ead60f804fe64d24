import Foundation
import Logging
import ShoalClusterProto
import ShoalClusterStore
import ShoalCore
import ShoalModel
import Testing
@testable import ShoalManager

/// The leader's task state writer on the memory store: reports from several nodes, handed over while a write is on
/// its way, are stored together; only a task's own node moves it, and only forward.
@Suite struct TaskStatusWriterTests {
    static func status(_ state: TaskState, _ message: String = "") -> Shoal_Cluster_V1_TaskStatus {
        var status = Shoal_Cluster_V1_TaskStatus()
        status.state = state.rawValue
        status.message = message
        status.timestampNs = Date().nanoseconds
        return status
    }

    static func report(_ taskID: String, _ state: TaskState) -> Shoal_Cluster_V1_TaskStatusReport {
        var report = Shoal_Cluster_V1_TaskStatusReport()
        report.taskID = taskID
        report.status = status(state)
        return report
    }

    @Test func reportsOfManyNodesAreStoredTogetherOnlyByTheirNodeAndOnlyForward() async throws {
        let store = HeldStore()
        let tasks = StoreTable<TaskMessage>(store)
        var write = StoreWrite()
        for (id, node) in [("t1", "n1"), ("t2", "n1"), ("t3", "n2"), ("t4", "n2")] {
            var task = TaskMessage()
            task.id = id
            task.nodeID = node
            task.status = Self.status(.assigned)
            write += try tasks.create(task)
        }
        #expect(try await store.commit(write).succeeded)
        let fence = try await LeaderFence.claim(for: "m1", in: store)
        let writer = TaskStatusWriter(store: store, fence: fence, logger: Logger(label: "test"))
        let before = store.commits

        // The first report's write is held on its way; the next messages, from two nodes, arrive meanwhile.
        store.hold()
        await writer.submit(nodeID: "n1", [Self.report("t1", .accepted)])
        for _ in 0..<2000 where !store.blocked { try await Task.sleep(for: .milliseconds(5)) }
        #expect(store.blocked)
        await writer.submit(nodeID: "n1", [Self.report("t1", .running), Self.report("t2", .running)])
        await writer.submit(nodeID: "n2", [Self.report("t3", .running)])
        // n2 claims a task of n1's, and reports a state older than the one stored: both ignored.
        await writer.submit(nodeID: "n2", [Self.report("t2", .failed), Self.report("t4", .new)])
        store.release()
        await writer.settled()

        let stored = Dictionary(try await tasks.list().map { ($0.id, TaskState(rawValue: $0.object.status.state)) },
                                uniquingKeysWith: { first, _ in first })
        #expect(stored == ["t1": .running, "t2": .running, "t3": .running, "t4": .assigned])
        // Two commits for four messages: the first write took the first message, the next all the rest.
        #expect(store.commits - before == 2, "\(store.commits - before) commits for 4 messages")
    }
}
