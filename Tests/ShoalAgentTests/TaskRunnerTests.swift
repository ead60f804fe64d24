import Foundation
import Logging
import ShoalCore
import ShoalModel
import Synchronization
import Testing
@testable import ShoalAgent

/// An engine in memory: containers that run until told to exit (or stopped).
final class FakeEngine: TaskEngine, Sendable {
    struct Box {
        var byTask: [String: (id: String, observation: TaskController.Observation)] = [:]
        var specs: [String: (name: String, spec: ContainerSpec)] = [:]
        var exits: [String: AsyncStream<Void>.Continuation] = [:]
        var removed: [String] = []
        var stopped: [String] = []
        var staged: [String: [TaskFile]] = [:]
        /// Each image the runner made sure of, with the credentials it gave.
        var ensured: [(image: String, registryAuth: String?)] = []
        /// Container ID → its log (`logs` reads it once, without following).
        var logs: [String: [LogEntry]] = [:]
        /// The containers told to take their service's traffic, in order.
        var served: [String] = []
    }
    let box = Mutex(Box())
    let missingImage: String?

    init(missingImage: String? = nil) { self.missingImage = missingImage }

    func container(ofTask taskID: String) async -> (id: String, observation: TaskController.Observation)? {
        box.withLock { $0.byTask[taskID] }
    }

    /// A missing image cannot be pulled either (as from a registry that has no such repository).
    func ensureImage(_ image: String, registryAuth: String?) async throws {
        box.withLock { $0.ensured.append((image, registryAuth)) }
        if image == missingImage {
            throw ShoalError.notFound("pull access denied for \(image), repository does not exist")
        }
    }

    func create(name: String, spec: ContainerSpec) async throws -> String {
        if spec.image == missingImage { throw ShoalError.notFound("No such image: \(spec.image)") }
        let id = "c-" + name
        box.withLock { box in
            box.byTask[spec.labels[TaskContainer.taskIDLabel]!] = (id, .created)
            box.specs[id] = (name, spec)
        }
        return id
    }

    /// A container with a health check runs unchecked until told its health (`set`).
    func start(_ id: String) async throws {
        let checked = box.withLock { $0.specs[id]?.spec.healthcheck?.command != nil }
        set(id, checked ? .checking : .running)
    }

    func waitForChange(_ id: String, from observation: TaskController.Observation) async {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let unchanged = box.withLock { box -> Bool in
            box.exits[id] = continuation
            return box.byTask.values.contains { $0.id == id && $0.observation == observation }
        }
        guard unchanged else { return }
        for await _ in stream { return }
    }

    func serve(_ id: String) async { box.withLock { $0.served.append(id) } }

    func stop(_ id: String, grace: Int?) async throws {
        let unhealthy = box.withLock { box in
            box.stopped.append(id)
            return box.byTask.values.contains { $0.id == id && $0.observation == .unhealthy }
        }
        set(id, .exited(code: 137, unhealthy: unhealthy))
    }

    func remove(_ id: String) async throws {
        box.withLock { box in
            box.removed.append(id)
            for (task, entry) in box.byTask where entry.id == id { box.byTask[task] = nil }
        }
    }

    func stageFiles(taskID: String, files: [TaskFile]) async throws -> [MountSpec] {
        box.withLock { $0.staged[taskID] = files }
        return files.map { MountSpec(kind: .bind, source: "/staged/\(taskID)\($0.target)", target: $0.target, readOnly: true) }
    }

    func dropFiles(taskID: String) async { _ = box.withLock { $0.staged.removeValue(forKey: taskID) } }

    func logs(_ id: String, options: LogOptions) async throws -> AsyncThrowingStream<LogEntry, any Error> {
        // A container without a log here is one that went while being read.
        guard let lines = box.withLock({ $0.logs[id] }) else { throw ShoalError.notFound("No such container: \(id)") }
        let kept = options.tail.map { Array(lines.suffix($0)) } ?? lines
        return AsyncThrowingStream { continuation in
            for line in kept where options.since.map({ line.time >= $0 }) ?? true { continuation.yield(line) }
            continuation.finish()
        }
    }

    /// The container's process ends with `code`.
    func exit(_ id: String, code: Int) {
        set(id, .exited(code: code))
    }

    /// What the container does now (its health, its exit); a runner waiting on it hears of the change.
    func set(_ id: String, _ observation: TaskController.Observation) {
        box.withLock { box in
            for (task, entry) in box.byTask where entry.id == id { box.byTask[task] = (id, observation) }
            box.exits[id]?.finish()
        }
    }
}

/// Reports received, in order.
final class Reports: Sendable {
    let states = Mutex<[(TaskState, String)]>([])
    func record(_ status: TaskStatus) { states.withLock { $0.append((status.state, status.err)) } }
    var sequence: [TaskState] { states.withLock { $0.map(\.0) } }
    var lastError: String { states.withLock { $0.last?.1 ?? "" } }
}

@Suite struct TaskRunnerTests {
    static let epoch = Date(timeIntervalSince1970: 1_700_000_000)

    static func task(image: String = "busybox", desired: TaskState = .running, slot: Int = 2) -> SwarmTask {
        var template = TaskContainerSpec(image: image)
        template.args = ["sleep", "1000"]
        template.labels = ["team": "a", TaskContainer.serviceNameLabel: "spoofed"]
        var spec = TaskSpec(containerSpec: template)
        spec.networks = [NetworkAttachmentConfig(target: "app", aliases: ["api"])]
        var task = SwarmTask(id: "tid", createdAt: epoch, serviceID: "sid", slot: slot, nodeID: "nid", spec: spec,
                             desiredState: desired, status: TaskStatus(timestamp: epoch, state: .assigned))
        task.networksAttachments = [TaskNetworkAttachment(networkID: "netid", addresses: ["10.0.1.5/24"])]
        return task
    }

    func runner(_ task: SwarmTask, engine: FakeEngine, reports: Reports) -> TaskRunner {
        TaskRunner(task: task, serviceName: "web", networkNames: ["netid": "app"], engine: engine,
                   logger: Logger(label: "test")) { _, status in reports.record(status) }
    }

    /// Polls until `condition` holds (up to 10 s, a bound for a hung runner, not a timing check).
    func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<5000 where !condition() { try await Task.sleep(for: .milliseconds(2)) }
    }

    @Test func aTaskGoesFromAssignedToRunningThenCompletes() async throws {
        let engine = FakeEngine(), reports = Reports()
        let runner = runner(Self.task(), engine: engine, reports: reports)
        await runner.run()
        try await eventually { reports.sequence.last == .running }
        #expect(reports.sequence == [.accepted, .preparing, .ready, .starting, .running])
        let (name, spec) = try #require(engine.box.withLock { $0.specs.values.first })
        #expect(name == "web.2.tid")
        #expect(spec.labels[TaskContainer.serviceNameLabel] == "web" && spec.labels["team"] == "a")
        #expect(spec.labels[TaskContainer.taskNameLabel] == "web.2" && spec.labels[TaskContainer.nodeIDLabel] == "nid")
        #expect(spec.cmd == ["sleep", "1000"] && spec.networks["app"] == EndpointRequest(aliases: ["api"], ipv4Address: "10.0.1.5"))
        engine.exit("c-web.2.tid", code: 0)
        await runner.settled()
        #expect(reports.sequence.last == .complete)
    }

    @Test func aTasksSecretsAndConfigsAreStagedAndMountedReadOnlyThenDropped() async throws {
        let engine = FakeEngine(), reports = Reports()
        let files = [TaskFile(target: "/run/secrets/db", data: Data("pw".utf8), mode: 0o400),
                     TaskFile(target: "/etc/app.conf", data: Data("x=1".utf8))]
        let runner = TaskRunner(task: Self.task(), serviceName: "web", files: files, engine: engine,
                                logger: Logger(label: "test")) { _, status in reports.record(status) }
        await runner.run()
        try await eventually { reports.sequence.last == .running }
        #expect(engine.box.withLock { $0.staged["tid"] } == files)
        let mounts = try #require(engine.box.withLock { $0.specs.values.first?.spec.host.mounts })
        #expect(mounts.map(\.target) == ["/run/secrets/db", "/etc/app.conf"] && mounts.allSatisfy(\.readOnly))
        await runner.remove()
        #expect(engine.box.withLock { $0.staged.isEmpty })
    }

    @Test func aNonZeroExitFailsTheTaskWithDockersError() async throws {
        let engine = FakeEngine(), reports = Reports()
        let runner = runner(Self.task(), engine: engine, reports: reports)
        await runner.run()
        try await eventually { reports.sequence.last == .running }
        engine.exit("c-web.2.tid", code: 3)
        await runner.settled()
        #expect(reports.sequence.last == .failed && reports.lastError == "task: non-zero exit (3)")
        #expect(await runner.task.status.containerStatus?.exitCode == 3)
    }

    /// A runner whose task's container has `test` as its health check, once the container runs unchecked.
    func checkedRunner(_ test: [String], engine: FakeEngine, reports: Reports) async throws -> TaskRunner {
        var task = Self.task()
        task.spec.containerSpec.healthcheck = HealthConfig(test: test)
        let runner = runner(task, engine: engine, reports: reports)
        await runner.run()
        try await eventually { engine.box.withLock { $0.byTask["tid"]?.observation == .checking } }
        return runner
    }

    /// As Docker's executor: a task whose container has a health check is running only once it is healthy.
    @Test func aCheckedTaskIsRunningOnlyOnceHealthy() async throws {
        let engine = FakeEngine(), reports = Reports()
        let runner = try await checkedRunner(["CMD-SHELL", "true"], engine: engine, reports: reports)
        #expect(reports.sequence.last == .starting)
        #expect(engine.box.withLock { $0.specs.values.first?.spec.healthcheck?.test } == ["CMD-SHELL", "true"])
        // Not healthy yet: it takes no traffic.
        #expect(engine.box.withLock { $0.served }.isEmpty)
        engine.set("c-web.2.tid", .running)
        try await eventually { reports.sequence.last == .running }
        #expect(reports.sequence.suffix(2) == [.starting, .running])
        #expect(engine.box.withLock { $0.served } == ["c-web.2.tid"])
        await runner.halt()
    }

    /// An unhealthy container is stopped and its task fails with Docker's cause, starting or running.
    @Test func anUnhealthyContainerIsStoppedAndFailsItsTask() async throws {
        for healthyFirst in [false, true] {
            let engine = FakeEngine(), reports = Reports()
            let runner = try await checkedRunner(["CMD", "false"], engine: engine, reports: reports)
            if healthyFirst {
                engine.set("c-web.2.tid", .running)
                try await eventually { reports.sequence.last == .running }
            }
            engine.set("c-web.2.tid", .unhealthy)
            await runner.settled()
            #expect(engine.box.withLock { $0.stopped } == ["c-web.2.tid"])
            #expect(reports.sequence.last == .failed)
            #expect(reports.lastError == "task: non-zero exit (137): unhealthy container")
        }
    }

    @Test func theControllerWaitsOnACheckAndStopsAnUnhealthyContainer() {
        var task = Self.task()
        task.status.state = .starting
        #expect(TaskController.next(task, container: .checking, now: Self.epoch)
                == TaskController.Step(operation: .wait, status: nil))
        #expect(TaskController.next(task, container: .unhealthy, now: Self.epoch).operation == .stop)
        #expect(TaskController.next(task, container: .running, now: Self.epoch).status?.state == .running)
        task.status.state = .running
        #expect(TaskController.next(task, container: .unhealthy, now: Self.epoch)
                == TaskController.Step(operation: .stop, status: nil))
        let failed = TaskController.next(task, container: .exited(code: 143, unhealthy: true), now: Self.epoch)
        #expect(failed.status?.state == .failed && failed.status?.err == "task: non-zero exit (143): unhealthy container")
        #expect(TaskController.next(task, container: .exited(code: 0, unhealthy: true), now: Self.epoch)
                .status?.state == .complete)
        task.desiredState = .shutdown
        #expect(TaskController.next(task, container: .checking, now: Self.epoch).operation == .stop)
    }

    @Test func aMissingImageRejectsTheTask() async throws {
        let engine = FakeEngine(missingImage: "nope"), reports = Reports()
        let runner = runner(Self.task(image: "nope"), engine: engine, reports: reports)
        await runner.run()
        await runner.settled()
        #expect(reports.sequence == [.accepted, .preparing, .rejected])
        // The pull's failure is logged; the task carries the create's answer, as Docker's does.
        #expect(reports.lastError == "No such image: nope")
        #expect(engine.box.withLock { $0.specs.isEmpty && $0.ensured.map(\.image) == ["nope"] })
    }

    @Test func theImageIsMadeSureOfWithTheServicesCredentialsBeforeTheContainer() async throws {
        let engine = FakeEngine(), reports = Reports()
        let runner = TaskRunner(task: Self.task(image: "reg.example:5000/app"), serviceName: "svc",
                                registryAuth: "e30=", engine: engine, logger: Logger(label: "test")) { _, status in
            reports.record(status)
        }
        await runner.run()
        try await eventually { reports.sequence.last == .running }
        let ensured = engine.box.withLock { $0.ensured }
        #expect(ensured.count == 1 && ensured[0].image == "reg.example:5000/app" && ensured[0].registryAuth == "e30=")
        await runner.update(desiredState: .shutdown)
        await runner.settled()
    }

    @Test func aShutdownStopsTheRunningContainer() async throws {
        let engine = FakeEngine(), reports = Reports()
        let runner = runner(Self.task(), engine: engine, reports: reports)
        await runner.run()
        try await eventually { reports.sequence.last == .running }
        await runner.update(desiredState: .shutdown)
        await runner.settled()
        #expect(reports.sequence.last == .shutdown)
        #expect(engine.box.withLock { $0.stopped } == ["c-web.2.tid"])
        await runner.remove()
        #expect(engine.box.withLock { $0.removed } == ["c-web.2.tid"])
    }

    @Test func aReplacementWaitingForItsDelayIsPreparedButNotStarted() async throws {
        let engine = FakeEngine(), reports = Reports()
        let runner = runner(Self.task(desired: .ready), engine: engine, reports: reports)
        await runner.run()
        await runner.settled()
        #expect(reports.sequence == [.accepted, .preparing, .ready])
        await runner.update(desiredState: .running)
        try await eventually { reports.sequence.last == .running }
        #expect(reports.sequence.suffix(2) == [.starting, .running])
    }

    @Test func templatesInHostnameEnvAndMountsTakeTheTasksValues() {
        var task = Self.task(slot: 3)
        task.spec.containerSpec.hostname = "{{.Node.Hostname}}-{{ .Task.Slot }}"
        task.spec.containerSpec.env = ["SVC={{.Service.Name}}", "TASK={{.Task.Name}}", "KEEP={{.Service.Labels}}", "OPEN={{x"]
        task.spec.containerSpec.mounts = [MountSpec(kind: .volume, source: "data-{{.Task.Slot}}", target: "/data")]
        let values = TaskTemplate(task: task, serviceName: "web", nodeID: "nid", nodeHostname: "host-a")
        let spec = TaskContainer.spec(task, serviceName: "web", template: values)
        #expect(spec.hostname == "host-a-3")
        #expect(spec.env == ["SVC=web", "TASK=web.3", "KEEP={{.Service.Labels}}", "OPEN={{x"])
        #expect(spec.host.mounts.map(\.source) == ["data-3"])
    }

    @Test func theServicesDNSConfigIsTheContainersResolverSettings() {
        var task = Self.task(slot: 1)
        task.spec.containerSpec.dnsConfig = TaskDNSConfig(nameservers: ["10.9.9.9"], search: ["x.lan"], options: ["ndots:2"])
        let spec = TaskContainer.spec(task, serviceName: "web",
                                      template: TaskTemplate(task: task, serviceName: "web", nodeID: "n", nodeHostname: "h"))
        #expect(spec.host.dns == ["10.9.9.9"] && spec.host.dnsSearch == ["x.lan"] && spec.host.dnsOptions == ["ndots:2"])
    }

    @Test func aGlobalTaskIsNamedAfterItsNode() {
        let task = Self.task(slot: 0)
        #expect(TaskContainer.containerName(task, serviceName: "agent") == "agent.nid.tid")
    }
}

@Suite struct TaskSupervisorTests {
    @Test func runnersFollowTheAssignment() async throws {
        let engine = FakeEngine(), reports = Reports()
        let supervisor = TaskSupervisor(engine: engine, logger: Logger(label: "test")) { _, status in
            reports.record(status)
        }
        var first = TaskRunnerTests.task()
        first.id = "a"
        var second = TaskRunnerTests.task(slot: 3)
        second.id = "b"
        await supervisor.assign([AssignedTask(task: first, serviceName: "web"), AssignedTask(task: second, serviceName: "web")])
        #expect(await supervisor.taskIDs == ["a", "b"])
        for _ in 0..<5000 where engine.box.withLock({ $0.byTask.values.filter { $0.observation == .running }.count }) < 2 {
            try await Task.sleep(for: .milliseconds(2))
        }
        // b is shut down by the managers; a is no longer assigned: its container goes.
        second.desiredState = .shutdown
        await supervisor.assign([AssignedTask(task: second, serviceName: "web")])
        await supervisor.settled()
        #expect(await supervisor.taskIDs == ["b"])
        #expect(engine.box.withLock { ($0.removed, $0.stopped) } == (["c-web.2.a"], ["c-web.3.b"]))
    }
}
