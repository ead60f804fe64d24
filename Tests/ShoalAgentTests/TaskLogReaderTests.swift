import Foundation
import ShoalCore
import ShoalModel
import Synchronization
import Testing
@testable import ShoalAgent

/// A node's reading of its tasks' logs, over the fake engine.
@Suite struct TaskLogReaderTests {
    static let start = Date(timeIntervalSince1970: 1_700_000_000)

    static func task(_ id: String, service: String, slot: Int) -> SwarmTask {
        SwarmTask(id: id, createdAt: start, serviceID: service, slot: slot, nodeID: "node1",
                  spec: TaskSpec(containerSpec: TaskContainerSpec(image: "busybox")),
                  status: TaskStatus(timestamp: start, state: .running))
    }

    static func entry(_ text: String, _ second: Double, _ stream: StreamChunk.Stream = .stdout) -> LogEntry {
        LogEntry(stream: stream, time: start.addingTimeInterval(second), bytes: Array(text.utf8))
    }

    /// An engine whose tasks t1 (slot 2), t2 (slot 1) of service s and t3 of service other have containers
    /// with logs; t4 of s has no container; t5 of s (slot 0, read first) has one whose log cannot be read.
    static func engine() -> FakeEngine {
        let engine = FakeEngine()
        engine.box.withLock { box in
            for (task, lines) in [("t1", [entry("one-a\n", 1), entry("one-b\n", 2, .stderr)]),
                                  ("t2", [entry("two-a\n", 1), entry("two-b\n", 3)]),
                                  ("t3", [entry("other\n", 1)])] {
                box.byTask[task] = ("c-\(task)", .exited(code: 0))
                box.logs["c-\(task)"] = lines
            }
            box.byTask["t5"] = ("c-t5", .exited(code: 0))
        }
        return engine
    }

    static let tasks = [task("t1", service: "s", slot: 2), task("t2", service: "s", slot: 1),
                        task("t3", service: "other", slot: 1), task("t4", service: "s", slot: 3),
                        task("t5", service: "s", slot: 0)]

    final class Received: Sendable {
        let lines = Mutex<[String]>([])
    }

    static func collect(_ batcher: LogBatcher) async throws -> [TaskLogMessage] {
        var all: [TaskLogMessage] = []
        try await batcher.send { all += $0 }
        return all
    }

    @Test func readsTheSelectedTasksOneAfterAnotherWithTheirContext() async throws {
        let reader = TaskLogReader(engine: Self.engine(), nodeID: "node1") { Self.tasks }
        let batcher = LogBatcher()
        var options = LogOptions()
        options.tail = 1
        try await reader.read(TaskLogSelector(serviceIDs: ["s"]), options: options, into: batcher)
        batcher.finish()
        let lines = try await Self.collect(batcher)
        // Slot order, the tail per task, no line of the other service, nothing for a task without a container or
        // whose log cannot be read.
        #expect(lines.map { String(decoding: $0.entry.bytes, as: UTF8.self) } == ["two-b\n", "one-b\n"])
        #expect(lines.map(\.context) == [TaskLogContext(serviceID: "s", nodeID: "node1", taskID: "t2"),
                                         TaskLogContext(serviceID: "s", nodeID: "node1", taskID: "t1")])
        #expect(lines[1].entry.stream == .stderr)

        let byTask = LogBatcher()
        try await reader.read(TaskLogSelector(taskIDs: ["t3"]), options: LogOptions(), into: byTask)
        byTask.finish()
        #expect(try await Self.collect(byTask).map(\.context.taskID) == ["t3"])
    }

    @Test func followPicksUpTasksAssignedLaterFromTheirFirstLine() async throws {
        let engine = Self.engine()
        let assigned = Mutex([Self.task("t1", service: "s", slot: 1)])
        let reader = TaskLogReader(engine: engine, nodeID: "node1", newTaskPoll: .milliseconds(20)) {
            assigned.withLock { $0 }
        }
        let batcher = LogBatcher()
        var options = LogOptions()
        options.follow = true
        options.tail = 1
        let reading = Task { try await reader.read(TaskLogSelector(serviceIDs: ["s"]), options: options, into: batcher) }
        let received = Received()
        let sending = Task {
            try await batcher.send { batch in
                received.lines.withLock { $0 += batch.map { String(decoding: $0.entry.bytes, as: UTF8.self) } }
            }
        }
        func wait(for count: Int) async throws {
            for _ in 0..<200 where received.lines.withLock({ $0.count }) < count { try await Task.sleep(for: .milliseconds(10)) }
        }
        try await wait(for: 1)
        #expect(received.lines.withLock { $0 } == ["one-b\n"])
        assigned.withLock { $0.append(Self.task("t2", service: "s", slot: 2)) }
        try await wait(for: 3)
        #expect(received.lines.withLock { $0 } == ["one-b\n", "two-a\n", "two-b\n"])
        reading.cancel()
        _ = await reading.result
        batcher.finish()
        try await sending.value
    }

    @Test func aBatchStaysUnderGRPCsMessageSize() async throws {
        let batcher = LogBatcher()
        let context = TaskLogContext(serviceID: "s", nodeID: "n", taskID: "t")
        let big = String(repeating: "x", count: LogBatcher.batchBytes / 2 + 1) + "\n"
        for _ in 0..<3 { try await batcher.add(TaskLogMessage(context: context, entry: Self.entry(big, 0))) }
        batcher.finish()
        var sizes: [Int] = []
        try await batcher.send { sizes.append($0.count) }
        #expect(sizes == [1, 1, 1])
    }

    @Test func theBatcherHoldsAFastReaderBackAndLosesNothing() async throws {
        let batcher = LogBatcher(limit: 10, batchSize: 4)
        let context = TaskLogContext(serviceID: "s", nodeID: "n", taskID: "t")
        let producing = Task {
            for index in 0..<100 {
                try await batcher.add(TaskLogMessage(context: context, entry: Self.entry("\(index)\n", 0)))
            }
            batcher.finish()
        }
        var sizes: [Int] = []
        var lines: [String] = []
        try await batcher.send { batch in
            sizes.append(batch.count)
            lines += batch.map { String(decoding: $0.entry.bytes, as: UTF8.self) }
            try await Task.sleep(for: .milliseconds(2))
        }
        try await producing.value
        #expect(lines == (0..<100).map { "\($0)\n" })
        #expect(sizes.allSatisfy { $0 <= 4 })
    }
}
