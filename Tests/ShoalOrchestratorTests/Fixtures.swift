import Foundation
import ShoalModel
import Synchronization
@testable import ShoalOrchestrator

let epoch = Date(timeIntervalSince1970: 1_700_000_000)

func node(_ id: String, state: NodeState = .ready, availability: NodeAvailability = .active,
          labels: [String: String] = [:]) -> SwarmNode {
    var spec = NodeSpec(role: .worker)
    spec.availability = availability
    spec.labels = labels
    return SwarmNode(
        id: id, version: 1, createdAt: epoch, updatedAt: epoch, spec: spec,
        description: NodeDescription(hostname: "host-\(id)", architecture: "x86_64", os: "linux",
                                     nanoCPUs: 4_000_000_000, memoryBytes: 8 << 30, engineVersion: "20.10.24"),
        status: NodeStatus(state: state, address: "10.0.0.1"), managerStatus: nil, trustRoot: "")
}

func service(_ id: String = "svc", mode: ServiceMode = .replicated(replicas: 3),
             restart: TaskRestartPolicy = TaskRestartPolicy(delay: 0), constraints: [String] = []) -> SwarmService {
    let template = TaskSpec(containerSpec: TaskContainerSpec(image: "busybox"), restartPolicy: restart,
                            placement: Placement(constraints: constraints))
    return SwarmService(id: id, version: 10, createdAt: epoch, updatedAt: epoch,
                        spec: ServiceSpec(name: id, taskTemplate: template, mode: mode))
}

/// A task of `service` in `slot` on `nodeID`, observed `state`.
func task(_ id: String, of service: SwarmService, slot: Int = 0, on nodeID: String = "", state: TaskState = .running,
          desired: TaskState = .running, at time: Date = epoch) -> SwarmTask {
    SwarmTask(id: id, createdAt: time, serviceID: service.id, slot: slot, nodeID: nodeID,
              spec: service.spec.taskTemplate, desiredState: desired, status: TaskStatus(timestamp: time, state: state))
}

/// A context at `now` whose new task IDs are t1, t2, …
func context(_ nodes: [SwarmNode], now: Date = epoch.addingTimeInterval(60)) -> OrchestrationContext {
    let counter = Mutex(0)
    return OrchestrationContext(now: now, nodes: nodes, newTaskID: {
        counter.withLock { value in
            value += 1
            return "t\(value)"
        }
    })
}

extension [OrchestratorAction] {
    var created: [SwarmTask] { compactMap { if case .create(let task) = $0 { task } else { nil } } }
    func desired(_ state: TaskState) -> [String] {
        compactMap { if case .setDesiredState(let id, let wanted) = $0, wanted == state { id } else { nil } }.sorted()
    }
    var deleted: [String] { compactMap { if case .delete(let id) = $0 { id } else { nil } } }
}
