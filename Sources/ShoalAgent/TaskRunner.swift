import Foundation
import Logging
import ShoalCore
import ShoalModel

/// The shell of one task's controller: it performs `TaskController`'s steps against the engine and reports
/// every state the task reaches, until the task rests (running and waited on, or ended). A change from the
/// managers (a new desired state) interrupts whatever it waits on and steps again.
public actor TaskRunner {
    public private(set) var task: SwarmTask
    let serviceName: String
    let networkNames: [String: String]
    let files: [TaskFile]
    let registryAuth: String?
    let node: TaskNode
    let engine: any TaskEngine
    let report: @Sendable (String, TaskStatus) async -> Void
    let logger: Logger
    private var loop: Task<Void, Never>?

    public init(task: SwarmTask, serviceName: String, networkNames: [String: String] = [:], files: [TaskFile] = [],
                registryAuth: String? = nil, node: TaskNode = TaskNode(id: "", hostname: ""), engine: any TaskEngine,
                logger: Logger,
                report: @escaping @Sendable (String, TaskStatus) async -> Void) {
        self.task = task
        self.serviceName = serviceName
        self.networkNames = networkNames
        self.files = files
        self.registryAuth = registryAuth
        self.node = node
        self.engine = engine
        self.logger = logger
        self.report = report
    }

    /// Starts (or restarts) stepping.
    public func run() {
        loop?.cancel()
        loop = Task { await self.steps() }
    }

    /// The managers changed what they want of the task.
    public func update(desiredState: TaskState) {
        guard desiredState != task.desiredState else { return }
        task.desiredState = desiredState
        run()
    }

    /// Returns once the runner rests (tests; the agent never waits on it).
    public func settled() async { await loop?.value }

    /// Stops stepping; the container stays as it is.
    public func halt() {
        loop?.cancel()
        loop = nil
    }

    /// Stops stepping and removes the container (the task is no longer assigned to this node).
    public func remove() async {
        loop?.cancel()
        loop = nil
        if let container = await engine.container(ofTask: task.id) {
            try? await engine.remove(container.id)
        }
        await engine.dropFiles(taskID: task.id)
    }

    private func steps() async {
        while !Task.isCancelled {
            let container = await engine.container(ofTask: task.id)
            let step = TaskController.next(task, container: container?.observation, now: Date())
            if let status = step.status { await record(status) }
            do {
                switch step.operation {
                case .none:
                    if step.status == nil { return }
                case .prepare:
                    let values = TaskTemplate(task: task, serviceName: serviceName, nodeID: node.id,
                                              nodeHostname: node.hostname)
                    var spec = TaskContainer.spec(task, serviceName: serviceName, networkNames: networkNames,
                                                  template: values)
                    do {
                        // As a Docker agent prepares a task: the image is pulled when the node lacks it. A failed
                        // pull is logged and the create then answers for it (Docker's "No such image" in `service
                        // ps`), so an image the node has under that name still runs.
                        do {
                            try await engine.ensureImage(spec.image, registryAuth: registryAuth)
                        } catch {
                            logger.warning("task \(task.id): pulling \(spec.image) failed: \(Self.message(error))")
                        }
                        if !files.isEmpty {
                            spec.host.mounts += try await engine.stageFiles(taskID: task.id, files: files)
                        }
                        let id = try await engine.create(
                            name: TaskContainer.containerName(task, serviceName: serviceName), spec: spec)
                        task.status.containerStatus = TaskContainerStatus(containerID: id)
                        // Host-mode ports chosen by the service show in `service ps` (a port the engine picks
                        // is not known here).
                        task.status.portStatus = TaskContainer.hostPorts(task).filter { $0.publishedPort != 0 }
                    } catch {
                        await record(TaskController.rejected(task, error: Self.message(error), now: Date()))
                        return
                    }
                case .start:
                    guard let container else { continue }
                    do {
                        try await engine.start(container.id)
                    } catch {
                        await record(TaskStatus(timestamp: Date(), state: .failed, message: "starting",
                                                err: "starting container failed: \(Self.message(error))",
                                                containerStatus: task.status.containerStatus))
                        return
                    }
                case .wait:
                    guard let container else { continue }
                    await engine.waitForChange(container.id, from: container.observation)
                case .stop:
                    guard let container else { continue }
                    let grace = task.spec.containerSpec.stopGracePeriod.map { Int($0.rounded(.up)) }
                    try await engine.stop(container.id, grace: grace)
                }
            } catch {
                logger.warning("task \(task.id): \(error)")
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Keeps and reports `status`. A task that now runs (healthy, with a health check) takes traffic on this
    /// host first; the other hosts follow once the leader hears it.
    private func record(_ status: TaskStatus) async {
        task.status = status
        if status.state == .running, task.desiredState <= .running, let container = await engine.container(ofTask: task.id) {
            await engine.serve(container.id)
        }
        await report(task.id, status)
    }

    static func message(_ error: any Error) -> String {
        (error as? ShoalError)?.message ?? "\(error)"
    }
}
