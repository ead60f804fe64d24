import Foundation
import ShoalModel

// Services and tasks as `docker service inspect` and `docker inspect <task>` show them.

extension SwarmService {
    /// `insertDefaults` (`GET /services/{id}?insertDefaults=true`): the parts the user left out, shown with the
    /// values SwarmKit applies (defaults.InterpolateService), as `docker service inspect --pretty` wants them.
    func wire(insertDefaults: Bool = false) -> ServiceWire {
        var spec = spec
        if insertDefaults {
            spec.updateConfig = spec.updateConfig ?? UpdateConfig()
            spec.rollbackConfig = spec.rollbackConfig ?? UpdateConfig()
            spec.endpointSpec = spec.endpointSpec ?? EndpointSpec()
        }
        return ServiceWire(
            ID: id, Version: ObjectVersionWire(version), CreatedAt: Wire.rfc3339Nano(createdAt),
            UpdatedAt: Wire.rfc3339Nano(updatedAt), Spec: ServiceSpecWire(spec),
            PreviousSpec: previousSpec.map(ServiceSpecWire.init),
            Endpoint: ServiceEndpointWire(
                Spec: EndpointSpecWire(endpoint.spec),
                Ports: endpoint.ports.isEmpty ? nil : endpoint.ports.map(PortConfigWire.init),
                VirtualIPs: endpoint.virtualIPs.isEmpty ? nil : endpoint.virtualIPs.map {
                    .init(NetworkID: $0.networkID.omittedIfEmpty, Addr: $0.address.omittedIfEmpty)
                }),
            UpdateStatus: updateStatus.map { status in
                UpdateStatusWire(State: status.state.rawValue, StartedAt: Wire.rfc3339Nano(status.startedAt),
                                 CompletedAt: status.completedAt.map(Wire.rfc3339Nano),
                                 Message: status.message.omittedIfEmpty)
            },
            ServiceStatus: nil)
    }
}

extension ServiceStatusWire {
    /// What `docker service ls` shows as REPLICAS, counted from the tasks as SwarmKit's ListServiceStatuses does:
    /// running tasks against the replicas asked for (a global service wants one per task it should run).
    init(_ service: SwarmService, tasks: [SwarmTask]) {
        let own = tasks.filter { $0.serviceID == service.id }
        let running = own.filter { $0.status.state == .running }.count
        let desired: Int
        switch service.spec.mode {
        case .replicated(let replicas): desired = Int(replicas)
        case .global: desired = own.filter { $0.desiredState == .running }.count
        }
        self.init(RunningTasks: UInt64(running), DesiredTasks: UInt64(desired), CompletedTasks: 0)
    }
}

extension SwarmTask {
    var wire: TaskWire {
        TaskWire(
            ID: id, Version: ObjectVersionWire(version), CreatedAt: Wire.rfc3339Nano(createdAt),
            UpdatedAt: Wire.rfc3339Nano(updatedAt), Labels: labels, Spec: TaskSpecWire(spec),
            ServiceID: serviceID.omittedIfEmpty, Slot: slot == 0 ? nil : slot, NodeID: nodeID.omittedIfEmpty,
            Status: TaskWire.StatusWire(
                Timestamp: Wire.rfc3339Nano(status.timestamp), State: status.state.rawValue,
                Message: status.message.omittedIfEmpty, Err: status.err.omittedIfEmpty,
                ContainerStatus: status.containerStatus.map {
                    .init(ContainerID: $0.containerID.omittedIfEmpty, PID: $0.pid == 0 ? nil : $0.pid,
                          ExitCode: $0.exitCode == 0 ? nil : $0.exitCode)
                },
                PortStatus: .init(Ports: status.portStatus.isEmpty ? nil : status.portStatus.map(PortConfigWire.init))),
            DesiredState: desiredState.rawValue,
            NetworksAttachments: networksAttachments.isEmpty ? nil : networksAttachments.map {
                .init(Network: .init(ID: $0.networkID), Addresses: $0.addresses.isEmpty ? nil : $0.addresses)
            })
    }

    /// The name Docker gives a task (SwarmKit's naming.Task): `<service>.<slot>.<id>`, or the node ID in place
    /// of the slot for a global service's task.
    func name(serviceName: String) -> String {
        "\(serviceName).\(slot == 0 ? nodeID : String(slot)).\(id)"
    }
}
