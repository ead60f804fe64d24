import Foundation
import Logging
import ShoalModel

/// A task assigned to this node, with what its container needs from outside the task: its service's name and
/// the names of the networks it attaches to.
public struct AssignedTask: Sendable, Equatable {
    public var task: SwarmTask
    public var serviceName: String
    /// Network ID → name (the engine attaches containers by name).
    public var networkNames: [String: String]
    /// Its secrets and configs.
    public var files: [TaskFile]
    /// Its service's registry credentials (`--with-registry-auth`: X-Registry-Auth's text), for the image pull.
    public var registryAuth: String?

    public init(task: SwarmTask, serviceName: String, networkNames: [String: String] = [:], files: [TaskFile] = [],
                registryAuth: String? = nil) {
        self.task = task
        self.serviceName = serviceName
        self.networkNames = networkNames
        self.files = files
        self.registryAuth = registryAuth
    }
}

/// The node the runners run on, as service templates name it.
public struct TaskNode: Sendable, Equatable {
    public var id: String
    public var hostname: String

    public init(id: String, hostname: String) {
        self.id = id
        self.hostname = hostname
    }
}

/// The node's task runners, kept in step with the set of tasks its session says are assigned to it: a new task
/// gets a runner, a changed desired state reaches its runner, and a task no longer assigned loses its runner and
/// its container. After a daemon restart the full set arrives again, and each runner finds its container by the
/// task's label and carries on from what the container is doing.
public actor TaskSupervisor {
    private var runners: [String: TaskRunner] = [:]
    private let engine: any TaskEngine
    private let node: TaskNode
    private let logger: Logger
    private let report: @Sendable (String, TaskStatus) async -> Void

    public init(engine: any TaskEngine, node: TaskNode = TaskNode(id: "", hostname: ""), logger: Logger,
                report: @escaping @Sendable (String, TaskStatus) async -> Void) {
        self.engine = engine
        self.node = node
        self.logger = logger
        self.report = report
    }

    /// The whole assignment: every task this node should know about now.
    public func assign(_ assigned: [AssignedTask]) async {
        let wanted = Dictionary(assigned.map { ($0.task.id, $0) }, uniquingKeysWith: { _, last in last })
        for (id, runner) in runners where wanted[id] == nil {
            runners[id] = nil
            await runner.remove()
        }
        for (id, entry) in wanted.sorted(by: { $0.key < $1.key }) {
            if let runner = runners[id] {
                await runner.update(desiredState: entry.task.desiredState)
            } else {
                let runner = TaskRunner(task: entry.task, serviceName: entry.serviceName,
                                        networkNames: entry.networkNames, files: entry.files,
                                        registryAuth: entry.registryAuth, node: node,
                                        engine: engine, logger: logger, report: report)
                runners[id] = runner
                await runner.run()
            }
        }
    }

    /// Every runner stops stepping; the containers stay as they are (daemon shutdown).
    public func halt() async {
        for runner in runners.values { await runner.halt() }
        runners = [:]
    }

    /// The tasks with a runner (tests and diagnostics).
    public var taskIDs: [String] { runners.keys.sorted() }

    /// Waits until every runner rests (tests).
    public func settled() async {
        for runner in runners.values { await runner.settled() }
    }
}
