/// Builders for nodes, tasks and clusters, so each test states only what it is about.
import Foundation
import ShoalCore
import ShoalModel
import Testing
@testable import ShoalScheduler

let gib: Int64 = 1 << 30
let cpu: Int64 = 1_000_000_000
let epoch = Date(timeIntervalSince1970: 1_700_000_000)

func node(_ id: String, hostname: String? = nil, role: NodeRoleName = .worker, labels: [String: String] = [:],
          engineLabels: [String: String] = [:], state: NodeState = .ready, availability: NodeAvailability = .active,
          cpus: Int64 = 4, memory: Int64 = 8 * gib, os: String = "linux", architecture: String = "x86_64",
          address: String = "10.0.0.1") -> SwarmNode {
    var spec = NodeSpec(role: role)
    spec.labels = labels
    spec.availability = availability
    let description = NodeDescription(hostname: hostname ?? "host-\(id)", architecture: architecture, os: os,
                                      nanoCPUs: cpus * cpu, memoryBytes: memory, engineVersion: "20.10.24",
                                      engineLabels: engineLabels)
    return SwarmNode(id: id, version: 1, createdAt: epoch, updatedAt: epoch, spec: spec, description: description,
                     status: NodeStatus(state: state, address: address), managerStatus: nil, trustRoot: "")
}

func taskSpec(constraints: [String] = [], preferences: [String] = [], maxReplicas: UInt64 = 0,
              platforms: [Platform] = [], reserveCPU: Int64 = 0, reserveMemory: Int64 = 0) -> TaskSpec {
    TaskSpec(containerSpec: TaskContainerSpec(image: "busybox"),
             resources: ResourceRequirements(reservations: Resources(nanoCPUs: reserveCPU, memoryBytes: reserveMemory)),
             placement: Placement(constraints: constraints,
                                  preferences: preferences.map { PlacementPreference(spreadDescriptor: $0) },
                                  maxReplicas: maxReplicas, platforms: platforms))
}

func task(_ id: String, service: String = "svc", spec: TaskSpec = taskSpec(), hostPorts: [UInt32] = [],
          nodeID: String = "", state: TaskState = .pending, desired: TaskState = .running) -> SwarmTask {
    let endpoint = hostPorts.isEmpty ? nil : EndpointSpec(ports: hostPorts.map {
        PortConfig(targetPort: 80, publishedPort: $0, publishMode: .host)
    })
    return SwarmTask(id: id, createdAt: epoch, serviceID: service, nodeID: nodeID, spec: spec, endpoint: endpoint,
                     desiredState: desired, status: TaskStatus(timestamp: epoch, state: state))
}

/// `count` pending tasks of one service, ids `<service>.<n>`.
func tasks(_ count: Int, service: String = "svc", spec: TaskSpec = taskSpec(), hostPorts: [UInt32] = []) -> [SwarmTask] {
    (0..<count).map { task("\(service).\($0 + 1)", service: service, spec: spec, hostPorts: hostPorts) }
}

/// A task already running on a node, for clusters that start loaded.
func running(_ id: String, service: String, on nodeID: String, spec: TaskSpec = taskSpec()) -> SwarmTask {
    task(id, service: service, spec: spec, nodeID: nodeID, state: .running)
}

extension Array where Element == SchedulingDecision {
    /// Tasks placed per node ID.
    var perNode: [String: Int] { reduce(into: [:]) { counts, decision in decision.nodeID.map { counts[$0, default: 0] += 1 } } }
    var assignedCount: Int { filter { $0.nodeID != nil }.count }
    var reasons: [String] {
        compactMap { if case .unschedulable(let reason) = $0.outcome { reason } else { nil } }
    }
}

/// The scheduler's own count of a service's active tasks per node, for every node listed.
func serviceCounts(_ state: SchedulerState, service: String, nodes: [String]) -> [Int] {
    nodes.map { state.nodeInfo(id: $0)?.activeTasks(ofService: service) ?? -1 }
}

func expectError(_ message: String, code: ShoalError.Code = .invalidArgument, _ body: () throws -> Void,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try body()
        Issue.record("expected error \"\(message)\"", sourceLocation: sourceLocation)
    } catch let error as ShoalError {
        #expect(error.message == message, sourceLocation: sourceLocation)
        #expect(error.code == code, sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}
