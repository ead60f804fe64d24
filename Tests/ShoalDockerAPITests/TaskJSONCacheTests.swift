import Foundation
@testable import ShoalDockerAPI
import ShoalModel
import Testing

@Suite struct TaskJSONCacheTests {
    static func task(_ id: String, version: UInt64, state: TaskState = .running, at instant: Double = 1.25) -> SwarmTask {
        SwarmTask(id: id, version: version, createdAt: Date(timeIntervalSince1970: instant), serviceID: "svc", slot: 1,
                  nodeID: "node", spec: TaskSpec(containerSpec: TaskContainerSpec(image: "busybox", env: ["A=1"])),
                  status: TaskStatus(timestamp: Date(timeIntervalSince1970: instant), state: state))
    }

    /// JSON text with its keys sorted (the encoder writes an object's keys in no fixed order).
    static func text(_ bytes: [UInt8]) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)),
              let sorted = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            return "not JSON: " + String(decoding: bytes, as: UTF8.self)
        }
        return String(decoding: sorted, as: UTF8.self)
    }

    @Test func theArrayIsWhatTheEncoderMakes() throws {
        let cache = TaskJSONCache()
        let tasks = [Self.task("a", version: 4), Self.task("b", version: 0, state: .pending),
                     Self.task("c", version: 9, at: -3.5)]
        for selection in [[], [tasks[0]], tasks, tasks.reversed()] {
            // Twice: the second answer comes from what the first kept.
            for _ in 0..<2 {
                #expect(Self.text(cache.json(of: selection, existing: tasks))
                    == Self.text(Wire.encode(selection.map(\.wire))))
            }
        }
        // The task without a store version is not kept.
        #expect(cache.count == 2)
        let decoded = try JSONSerialization.jsonObject(with: Data(cache.json(of: tasks, existing: tasks)))
        #expect((decoded as? [[String: Any]])?.map { $0["ID"] as? String } == ["a", "b", "c"])
    }

    @Test func aNewVersionIsEncodedAgainAndRemovedTasksAreForgotten() {
        let cache = TaskJSONCache()
        let first = [Self.task("a", version: 4, state: .starting), Self.task("b", version: 5)]
        _ = cache.json(of: first, existing: first)
        let running = Self.task("a", version: 7, state: .running)
        let json = Self.text(cache.json(of: [running], existing: [running, first[1]]))
        #expect(json.contains("\"State\":\"running\"") && !json.contains("\"State\":\"starting\""))
        #expect(json == Self.text(Wire.encode([running.wire])))
        // b left the store: its JSON goes with it.
        _ = cache.json(of: [running], existing: [running])
        #expect(cache.count == 1)
    }
}
