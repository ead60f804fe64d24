import Foundation
import ShoalAgent
import ShoalCore
import ShoalModel

/// The one seam a simulated node replaces: the engine its task runners drive (`TaskEngine`). It keeps a record
/// per container and nothing else: create and start succeed at once, a started container runs until it is stopped
/// (exit 0), there are no images to pull, no files to stage and no logs. Everything above it (the node's
/// `NodeTasks`, `TaskSupervisor`, `TaskRunner` and `TaskController`, its session) is the real agent's code, so
/// each task reports accepted → preparing → ready → starting → running as on a real node, in the same batches.
public actor SimulatedEngine: TaskEngine {
    private struct Container {
        var taskID: String
        var observation: TaskController.Observation
    }

    private var containers: [String: Container] = [:]
    private var byTask: [String: String] = [:]
    private var created = 0

    public init() {}

    /// Containers that run now (tests and the scenario's counts).
    public var runningCount: Int { containers.values.filter { $0.observation == .running }.count }

    public func container(ofTask taskID: String) async -> (id: String, observation: TaskController.Observation)? {
        guard let id = byTask[taskID], let container = containers[id] else { return nil }
        return (id, container.observation)
    }

    public func ensureImage(_ image: String, registryAuth: String?) async throws {}

    public func create(name: String, spec: ContainerSpec) async throws -> String {
        guard let taskID = spec.labels[TaskContainer.taskIDLabel] else {
            throw ShoalError.invalidArgument("simulated engine: container \(name) has no task label")
        }
        created += 1
        let id = "sim\(created)-\(taskID)"
        containers[id] = Container(taskID: taskID, observation: .created)
        byTask[taskID] = id
        return id
    }

    public func start(_ id: String) async throws {
        guard containers[id] != nil else { throw ShoalError.notFound("No such container: \(id)") }
        containers[id]?.observation = .running
    }

    /// A simulated container never changes on its own: this waits until the runner is interrupted (a new desired
    /// state cancels its step loop).
    public nonisolated func waitForChange(_ id: String, from observation: TaskController.Observation) async {
        try? await Task.sleep(for: .seconds(365 * 86_400))
    }

    public func serve(_ id: String) async {}

    public func stop(_ id: String, grace: Int?) async throws {
        guard containers[id] != nil else { throw ShoalError.notFound("No such container: \(id)") }
        containers[id]?.observation = .exited(code: 0)
    }

    public func remove(_ id: String) async throws {
        guard let container = containers.removeValue(forKey: id) else { return }
        if byTask[container.taskID] == id { byTask[container.taskID] = nil }
    }

    public func stageFiles(taskID: String, files: [TaskFile]) async throws -> [MountSpec] { [] }

    public func dropFiles(taskID: String) async {}

    public func logs(_ id: String, options: LogOptions) async throws -> AsyncThrowingStream<LogEntry, any Error> {
        AsyncThrowingStream { $0.finish() }
    }
}
