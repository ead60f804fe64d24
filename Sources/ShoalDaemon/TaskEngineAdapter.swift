import Foundation
import ShoalAgent
import ShoalCore
import ShoalEngine
import ShoalModel

/// This host's containers as the node's task runners use them. A task's container is found by its task label,
/// so a runner made after a daemon restart carries on with the container its task already has.
struct TaskEngineAdapter: TaskEngine {
    let containers: ContainerService

    func container(ofTask taskID: String) async -> (id: String, observation: TaskController.Observation)? {
        guard let record = await containers.list().first(where: { $0.labels[TaskContainer.taskIDLabel] == taskID })
        else { return nil }
        switch record.state.status {
        case .created: return (record.id, .created)
        case .running, .paused, .restarting: return (record.id, .running)
        case .exited, .dead: return (record.id, .exited(code: Int(record.state.exitCode)))
        case .removing: return nil
        }
    }

    func create(name: String, spec: ContainerSpec) async throws -> String {
        try await containers.create(name: name, spec: spec).id
    }

    func start(_ id: String) async throws { try await containers.start(id) }

    /// Ends when the container has exited or the caller is cancelled (the runner then steps again). The
    /// engine's wait itself cannot be withdrawn: a cancelled wait leaves it to end with the container.
    func waitForExit(_ id: String) async {
        guard let wait = try? await containers.wait(id, condition: .notRunning) else { return }
        let exited = StopSignal()
        Task {
            _ = await wait()
            exited.fire()
        }
        await exited.wait()
    }

    func stop(_ id: String, grace: Int?) async throws { try await containers.stop(id, timeout: grace, signal: nil) }

    func remove(_ id: String) async throws { try await containers.remove(id, force: true, removeVolumes: false) }
}
