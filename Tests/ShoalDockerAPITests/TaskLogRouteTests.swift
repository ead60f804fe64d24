import Foundation
import Hummingbird
import HummingbirdTesting
import ShoalCore
@testable import ShoalDockerAPI
import ShoalModel
import Testing

/// `GET /services/{id}/logs` and `/tasks/{id}/logs`: the frames and details the docker CLI parses back.
@Suite struct TaskLogRouteTests {
    static let context = TaskLogContext(serviceID: "svcid", nodeID: "nodeid", taskID: "taskid")
    /// 2024-01-02T03:04:05.5Z
    static let time = Date(timeIntervalSince1970: 1_704_164_645.5)

    static func backend(tty: Bool = false) async -> FakeServiceBackend {
        let backend = FakeServiceBackend()
        var container = TaskContainerSpec(image: "busybox")
        container.tty = tty
        let spec = ServiceSpec(name: "web", taskTemplate: TaskSpec(containerSpec: container),
                               mode: .replicated(replicas: 2))
        await backend.add(SwarmService(id: "svcid", version: 1, createdAt: FakeSwarmBackend.created,
                                       updatedAt: FakeSwarmBackend.created, spec: spec))
        await backend.add(SwarmTask(id: "taskid", createdAt: FakeSwarmBackend.created, serviceID: "svcid", slot: 1,
                                    nodeID: "nodeid", spec: spec.taskTemplate,
                                    status: TaskStatus(timestamp: FakeSwarmBackend.created, state: .running)))
        await backend.answerLogs([
            TaskLogMessage(context: context, entry: LogEntry(stream: .stdout, time: time, bytes: Array("out\n".utf8))),
            TaskLogMessage(context: context, entry: LogEntry(stream: .stderr, time: time, bytes: Array("err\n".utf8))),
        ])
        return backend
    }

    /// The body's frames as (stream, payload).
    static func frames(_ response: TestResponse) throws -> [(UInt8, String)] {
        var body = response.body
        var frames: [(UInt8, String)] = []
        while body.readableBytes > 0 {
            let read = body.readBytes(length: 8)
            let header = try #require(read)
            let length = Int(UInt32(header[4]) << 24 | UInt32(header[5]) << 16 | UInt32(header[6]) << 8 | UInt32(header[7]))
            let readPayload = body.readBytes(length: length)
            let payload = try #require(readPayload)
            frames.append((header[0], String(decoding: payload, as: UTF8.self)))
        }
        return frames
    }

    @Test func detailsAreTheContextSortedAndQueryEscaped() {
        #expect(TaskLogWire.details(Self.context)
            == "com.docker.swarm.node.id=nodeid,com.docker.swarm.service.id=svcid,com.docker.swarm.task.id=taskid")
        #expect(TaskLogWire.queryEscape("a b/c=d,é~x") == "a+b%2Fc%3Dd%2C%C3%A9~x")
        #expect(Wire.rfc3339NanoFixed(Self.time) == "2024-01-02T03:04:05.500000000Z")
        #expect(Wire.rfc3339Nano(Self.time) == "2024-01-02T03:04:05.5Z")
    }

    @Test func serviceLogsAreFramedPerStreamWithDetailsAndTimestamps() async throws {
        let backend = await Self.backend()
        try await ServiceRouteTests.run(backend) { client in
            let response = try await client.get("/services/web/logs?stdout=1&stderr=1&details=1&timestamps=1&tail=5")
            #expect(response.status == .ok)
            let details = TaskLogWire.details(Self.context)
            let frames = try Self.frames(response)
            #expect(frames.map(\.0) == [1, 2])
            #expect(frames.map(\.1) == ["2024-01-02T03:04:05.500000000Z \(details) out\n",
                                        "2024-01-02T03:04:05.500000000Z \(details) err\n"])
            let asked = try #require(await backend.logRequests.last)
            #expect(asked.selector == TaskLogSelector(serviceIDs: ["svcid"]))
            #expect(asked.options.tail == 5 && asked.options.stdout && asked.options.stderr && !asked.options.follow)

            // `--raw`: no details; docker-py's booleans are Python's.
            let raw = try await client.get("/services/svcid/logs?stdout=True&stderr=False&details=False&tail=all")
            #expect(try Self.frames(raw).map(\.1) == ["out\n", "err\n"])
            #expect(await backend.logRequests.last?.options.tail == nil)
            #expect(await backend.logRequests.last?.options.stderr == false)
        }
    }

    @Test func taskLogsSelectTheTaskAndTTYServicesStreamRaw() async throws {
        let backend = await Self.backend(tty: true)
        try await ServiceRouteTests.run(backend) { client in
            let response = try await client.get("/tasks/taskid/logs?stdout=1&stderr=1")
            #expect(response.text == "out\nerr\n")
            #expect(await backend.logRequests.last?.selector == TaskLogSelector(taskIDs: ["taskid"]))
        }
    }

    @Test func errorsBeforeTheStreamHaveDockersStatuses() async throws {
        let backend = await Self.backend()
        try await ServiceRouteTests.run(backend) { client in
            let none = try await client.get("/services/web/logs")
            #expect(none.status == .badRequest && none.message == "Bad parameters: you must choose at least one stream")
            let missing = try await client.get("/services/nosuch/logs?stdout=1")
            #expect(missing.status == .notFound && missing.message == "service nosuch not found")
            let task = try await client.get("/tasks/nosuch/logs?stdout=1")
            #expect(task.status == .notFound && task.message == "task nosuch not found")
            let tail = try await client.get("/services/web/logs?stdout=1&tail=x")
            #expect(tail.status == .internalServerError
                && tail.message == "tail value must be a positive integer or \"all\"")
            #expect(await backend.logRequests.isEmpty)
            await backend.refuse(ShoalError(.unavailable, "This node is not a swarm manager."))
            #expect(try await client.get("/services/web/logs?stdout=1").status == .serviceUnavailable)
        }
    }

    @Test func anIncompleteStreamEndsWithDockersSystemError() async throws {
        let backend = await Self.backend()
        await backend.answerLogs([], end: ShoalError(.unavailable, "warning: incomplete log stream"))
        try await ServiceRouteTests.run(backend) { client in
            let frames = try Self.frames(try await client.get("/services/web/logs?stdout=1"))
            #expect(frames.map(\.0) == [3])
            #expect(frames.first?.1 == "Error grabbing logs: warning: incomplete log stream\n")
        }
    }
}
