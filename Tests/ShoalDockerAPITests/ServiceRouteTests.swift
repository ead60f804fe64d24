import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import ShoalCore
@testable import ShoalDockerAPI
import ShoalModel
import Testing

/// A service backend in memory that records what the routes passed in.
actor FakeServiceBackend: ServiceBackend {
    private(set) var services: [SwarmService] = []
    private(set) var tasks: [SwarmTask] = []
    private(set) var updates: [(ref: String, version: UInt64, spec: ServiceSpec)] = []
    private(set) var rollbacks: [String] = []
    /// What each create and update got of X-Registry-Auth.
    private(set) var registryAuths: [String?] = []
    /// What `taskLogs` was asked, and the lines it answers (then `logEnd` if set, thrown).
    private(set) var logRequests: [(selector: TaskLogSelector, options: LogOptions)] = []
    var logLines: [TaskLogMessage] = []
    var logEnd: ShoalError?
    var refusal: ShoalError?

    func answerLogs(_ lines: [TaskLogMessage], end: ShoalError? = nil) {
        logLines = lines
        logEnd = end
    }

    func refuse(_ error: ShoalError) { refusal = error }

    func add(_ service: SwarmService) { services.append(service) }
    func add(_ task: SwarmTask) { tasks.append(task) }

    func createService(_ spec: ServiceSpec, registryAuth: String?) async throws -> String {
        if let refusal { throw refusal }
        registryAuths.append(registryAuth)
        let id = "svc\(services.count)xxxxxxxxxxxxxxxxxxxxx"
        services.append(SwarmService(id: id, version: 11, createdAt: FakeSwarmBackend.created,
                                     updatedAt: FakeSwarmBackend.created, spec: spec))
        return id
    }
    func listServices() async throws -> [SwarmService] {
        if let refusal { throw refusal }
        return services
    }
    func service(_ ref: String) async throws -> SwarmService {
        if let refusal { throw refusal }
        guard let found = services.first(where: { $0.id == ref || $0.spec.name == ref }) else {
            throw ShoalError.notFound("service \(ref) not found")
        }
        return found
    }
    func updateService(_ ref: String, version: UInt64, spec: ServiceSpec, rollback: Bool, registryAuth: String?)
        async throws
    {
        if let refusal { throw refusal }
        registryAuths.append(registryAuth)
        if rollback { rollbacks.append(ref) }
        updates.append((ref, version, spec))
    }
    func removeService(_ ref: String) async throws {
        if let refusal { throw refusal }
        guard services.contains(where: { $0.id == ref || $0.spec.name == ref }) else {
            throw ShoalError.notFound("service \(ref) not found")
        }
        services.removeAll { $0.id == ref || $0.spec.name == ref }
    }
    func listTasks() async throws -> [SwarmTask] {
        if let refusal { throw refusal }
        return tasks
    }
    func task(_ ref: String) async throws -> SwarmTask {
        if let refusal { throw refusal }
        guard let found = tasks.first(where: { $0.id == ref }) else { throw ShoalError.notFound("task \(ref) not found") }
        return found
    }
    func taskLogs(_ selector: TaskLogSelector, options: LogOptions) async throws
        -> AsyncThrowingStream<TaskLogMessage, any Error>
    {
        logRequests.append((selector, options))
        let (lines, end) = (logLines, logEnd)
        return AsyncThrowingStream { continuation in
            for line in lines { continuation.yield(line) }
            continuation.finish(throwing: end)
        }
    }
}

@Suite struct ServiceRouteTests {
    static func run(_ services: FakeServiceBackend,
                    _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = DockerAPIServer.application(
            backends: UnusedBackends.backends(swarm: FakeSwarmBackend(active: true), services: services),
            address: .hostname("127.0.0.1", port: 0), spoolDirectory: NSTemporaryDirectory(),
            logger: .init(label: "service-route-test"))
        try await app.test(.router, body)
    }

    /// What `docker service create --replicas 3 --label a=b -p 8080:80 busybox sleep 1000` sends (CLI 28).
    static let createBody = """
        {"Name":"web","Labels":{"a":"b"},"TaskTemplate":{"ContainerSpec":{"Image":"busybox","Args":["sleep","1000"],
        "Init":false,"StopGracePeriod":10000000000,"DNSConfig":{},"Isolation":"default"},"Resources":{"Limits":{},
        "Reservations":{}},"RestartPolicy":{"Condition":"any","Delay":5000000000,"MaxAttempts":0},
        "Placement":{"Constraints":["node.role==worker"]},"Networks":[{"Target":"netid"}],"ForceUpdate":0,"Runtime":"container"},
        "Mode":{"Replicated":{"Replicas":3}},"UpdateConfig":{"Parallelism":1,"FailureAction":"pause","Monitor":5000000000,
        "MaxFailureRatio":0,"Order":"stop-first"},"RollbackConfig":{"Parallelism":1,"FailureAction":"pause",
        "Monitor":5000000000,"MaxFailureRatio":0,"Order":"stop-first"},"EndpointSpec":{"Mode":"vip",
        "Ports":[{"Protocol":"tcp","TargetPort":80,"PublishedPort":8080,"PublishMode":"ingress"}]}}
        """

    @Test func createAndInspectSpeakDockersJSON() async throws {
        let backend = FakeServiceBackend()
        try await Self.run(backend) { client in
            let created = try await client.post("/services/create", Self.createBody)
            #expect(created.status == .created)
            let answer = try created.object()
            #expect(Set(answer.keys) == ["ID", "Warnings"])
            // `--with-registry-auth`: the header goes to the backend as the client sent it; without it, nothing.
            let auth = "eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InAifQ=="
            let withAuth = try await client.execute(
                uri: "/v1.41/services/create", method: .post,
                headers: [.contentType: "application/json", HTTPField.Name("X-Registry-Auth")!: auth],
                body: ByteBuffer(string: Self.createBody.replacingOccurrences(of: "\"web\"", with: "\"web2\"")))
            #expect(withAuth.status == .created)
            #expect(await backend.registryAuths == [nil, auth])
            #expect(answer["ID"] as? String == "svc0xxxxxxxxxxxxxxxxxxxxx" && answer["Warnings"] is NSNull)
            let spec = try #require(await backend.services.first).spec
            #expect(spec.mode == .replicated(replicas: 3))
            #expect(spec.taskTemplate.containerSpec.stopGracePeriod == 10)
            #expect(spec.taskTemplate.containerSpec.args == ["sleep", "1000"])
            #expect(spec.updateConfig == UpdateConfig())
            #expect(spec.endpointSpec?.ports == [PortConfig(targetPort: 80, publishedPort: 8080)])

            let inspect = try await client.get("/services/web")
            #expect(inspect.status == .ok)
            let service = try inspect.object()
            #expect(Set(service.keys) == ["ID", "Version", "CreatedAt", "UpdatedAt", "Spec", "Endpoint"])
            #expect(int64(service, "Version", "Index") == 11)
            #expect(service["CreatedAt"] as? String == Wire.rfc3339Nano(FakeSwarmBackend.created))
            #expect(int64(service, "Spec", "Mode", "Replicated", "Replicas") == 3)
            #expect(int64(service, "Spec", "TaskTemplate", "RestartPolicy", "Delay") == 5_000_000_000)
            #expect(int64(service, "Spec", "TaskTemplate", "ContainerSpec", "StopGracePeriod") == 10_000_000_000)
            #expect(int64(service, "Spec", "UpdateConfig", "Monitor") == 5_000_000_000)
            #expect(value(service, "Spec", "UpdateConfig", "Order") as? String == "stop-first")
            #expect(value(service, "Spec", "TaskTemplate", "Placement", "Constraints") as? [String] == ["node.role==worker"])
            #expect(value(service, "Spec", "EndpointSpec", "Mode") as? String == "vip")
            #expect(keys(service, "Endpoint") == ["Spec"])
        }
    }

    @Test func defaultsOnlyWhenAskedAndDockerPyModes() async throws {
        let backend = FakeServiceBackend()
        try await Self.run(backend) { client in
            // docker-py writes the mode's key in lower case; Go's decoder does not mind, nor does Shoal.
            let body = #"{"Name":"py","TaskTemplate":{"ContainerSpec":{"Image":"busybox"}},"Mode":{"global":{}}}"#
            #expect(try await client.post("/services/create", body).status == .created)
            #expect(await backend.services.first?.spec.mode == .global)
            let plain = try await client.get("/services/py").object()
            #expect(value(plain, "Spec", "UpdateConfig") == nil)
            #expect(value(plain, "Spec", "Mode", "Global") is [String: Any])
            let filled = try await client.get("/services/py?insertDefaults=true").object()
            #expect(int64(filled, "Spec", "UpdateConfig", "Parallelism") == 1)
            #expect(value(filled, "Spec", "RollbackConfig", "FailureAction") as? String == "pause")
            let both = #"{"Name":"x","TaskTemplate":{"ContainerSpec":{"Image":"b"}},"Mode":{"Global":{},"Replicated":{}}}"#
            #expect(try await client.post("/services/create", both).status == .badRequest)
        }
    }

    @Test func updateNeedsAVersionAndRollbackWaitsForTheUpdater() async throws {
        let backend = FakeServiceBackend()
        try await Self.run(backend) { client in
            _ = try await client.post("/services/create", Self.createBody)
            let missing = try await client.post("/services/web/update", Self.createBody)
            #expect(missing.status == .badRequest)
            #expect(missing.message == #"invalid service version '': strconv.ParseUint: parsing "": invalid syntax"#)
            let updated = try await client.post("/services/web/update?version=11", Self.createBody)
            #expect(updated.status == .ok && updated.text == "{\"Warnings\":null}\n")
            #expect(await backend.updates.map(\.version) == [11])
            let rollback = try await client.post("/services/web/update?version=11&rollback=previous", Self.createBody)
            #expect(rollback.status == .ok)
            #expect(await backend.rollbacks == ["web"])
            #expect(await backend.updates.count == 2)
            #expect(try await client.delete("/services/web").status == .ok)
            #expect(try await client.delete("/services/web").status == .notFound)
        }
    }

    @Test func listFiltersAndCountsReplicas() async throws {
        let backend = FakeServiceBackend()
        let spec = ServiceSpec(name: "web", labels: ["a": "b"],
                               taskTemplate: TaskSpec(containerSpec: TaskContainerSpec(image: "busybox")),
                               mode: .replicated(replicas: 3))
        var web = SwarmService(id: "webidwebidwebidwebidwebid", version: 3, createdAt: FakeSwarmBackend.created,
                               updatedAt: FakeSwarmBackend.created, spec: spec)
        web.updateStatus = ServiceUpdateStatus(state: .rollbackStarted, startedAt: FakeSwarmBackend.created,
                                               message: "manually requested rollback")
        var globalSpec = spec
        globalSpec.name = "agent"
        globalSpec.labels = [:]
        globalSpec.mode = .global
        let agent = SwarmService(id: "agentidagentidagentidagen", version: 4, createdAt: FakeSwarmBackend.created,
                                 updatedAt: FakeSwarmBackend.created, spec: globalSpec)
        await backend.add(web)
        await backend.add(agent)
        await backend.add(SwarmTask(id: "task1task1task1task1task1", createdAt: FakeSwarmBackend.created,
                                    serviceID: web.id, slot: 1, nodeID: FakeSwarmBackend.managerID, spec: spec.taskTemplate,
                                    status: TaskStatus(timestamp: FakeSwarmBackend.created, state: .running)))
        try await Self.run(backend) { client in
            func names(_ query: String) async throws -> [String] {
                let list = try #require(try await client.get("/services" + query).json() as? [[String: Any]])
                return list.compactMap { value($0, "Spec", "Name") as? String }
            }
            #expect(try await names("") == ["web", "agent"])
            #expect(try await names("?filters=%7B%22mode%22%3A%5B%22global%22%5D%7D") == ["agent"])
            #expect(try await names("?filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D") == ["web"])
            #expect(try await names("?filters=%7B%22name%22%3A%5B%22ag%22%5D%7D") == ["agent"])
            #expect(try await client.get("/services?filters=%7B%22nope%22%3A%5B%22x%22%5D%7D").status == .badRequest)
            let status = try #require(try await client.get("/services?status=true").json() as? [[String: Any]])
            #expect(int64(status[0], "ServiceStatus", "RunningTasks") == 1)
            #expect(int64(status[0], "ServiceStatus", "DesiredTasks") == 3)
            #expect(keys(status[0], "UpdateStatus") == ["State", "StartedAt", "Message"])
            #expect(value(status[0], "UpdateStatus", "State") as? String == "rollback_started")
            #expect(status[1]["UpdateStatus"] == nil)

            let tasks = try #require(try await client.get("/tasks?filters=%7B%22service%22%3A%5B%22web%22%5D%7D").json()
                as? [[String: Any]])
            #expect(tasks.count == 1)
            #expect(tasks.first?["DesiredState"] as? String == "running")
            #expect(value(tasks.first, "Status", "State") as? String == "running")
            #expect(int64(tasks.first, "Slot") == 1)
            let none = try #require(try await client.get("/tasks?filters=%7B%22desired-state%22%3A%5B%22shutdown%22%5D%7D")
                .json() as? [[String: Any]])
            #expect(none.isEmpty)
            // `label` matches the task's service's labels (web has a=b): how `docker stack ps` finds a stack's tasks.
            let labelled = try #require(try await client.get("/tasks?filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D")
                .json() as? [[String: Any]])
            #expect(labelled.count == 1)
            let unlabelled = try #require(try await client.get("/tasks?filters=%7B%22label%22%3A%5B%22a%3Dc%22%5D%7D")
                .json() as? [[String: Any]])
            #expect(unlabelled.isEmpty)
            let badState = try await client.get("/tasks?filters=%7B%22desired-state%22%3A%5B%22sleepy%22%5D%7D")
            #expect(badState.status == .badRequest && badState.message == "Invalid desired-state filter: 'sleepy'")
            #expect(try await client.get("/tasks/task1task1task1task1task1").status == .ok)
            #expect(try await client.get("/tasks/nope").status == .notFound)
        }
    }

    @Test func aWorkerAnswersDockers503() async throws {
        let backend = FakeServiceBackend()
        await backend.refuse(ShoalError(.unavailable, "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager."))
        try await Self.run(backend) { client in
            for response in [try await client.get("/services"), try await client.get("/tasks"),
                             try await client.post("/services/create", Self.createBody)] {
                #expect(response.status == .serviceUnavailable)
                #expect(response.message?.hasPrefix("This node is not a swarm manager. Worker nodes") == true)
            }
        }
    }
}
