import Foundation
import ShoalClusterProto
import ShoalClusterStore
import ShoalModel

// The conversion edge between services and tasks as the domain shows them (ShoalModel) and as the store keeps them
// (services.proto; their specs convert in ServiceSpec+Store.swift). A domain object's `version` is the store's
// version of the object, never a stored field.

typealias ServiceMessage = Shoal_Cluster_V1_Service
typealias TaskMessage = Shoal_Cluster_V1_Task

extension SwarmService {
    init(_ stored: Versioned<ServiceMessage>) {
        let service = stored.object
        self.init(
            id: service.id, version: UInt64(stored.version), createdAt: Date(nanoseconds: service.createdAtNs),
            updatedAt: Date(nanoseconds: service.updatedAtNs), spec: ServiceSpec(service.spec),
            previousSpec: service.hasPreviousSpec ? ServiceSpec(service.previousSpec) : nil,
            endpoint: ServiceEndpoint(
                spec: EndpointSpec(service.endpoint.spec), ports: service.endpoint.ports.map(PortConfig.init),
                virtualIPs: service.endpoint.virtualIps.map {
                    ServiceEndpoint.VirtualIP(networkID: $0.networkID, address: $0.address)
                }))
        if service.hasUpdateStatus {
            let status = service.updateStatus
            updateStatus = ServiceUpdateStatus(
                state: ServiceUpdateStatus.State(rawValue: status.state) ?? .paused,
                startedAt: Date(nanoseconds: status.startedAtNs),
                completedAt: status.hasCompletedAtNs ? Date(nanoseconds: status.completedAtNs) : nil,
                message: status.message)
        }
        if !service.sealedRegistryAuth.isEmpty { sealedRegistryAuth = Array(service.sealedRegistryAuth) }
        specChangedAfter = service.specChangedAfter
    }

    /// The service as the store keeps it (without its version, which is the store's).
    var stored: ServiceMessage {
        var service = ServiceMessage()
        service.id = id
        service.spec = spec.message
        if let previousSpec { service.previousSpec = previousSpec.message }
        service.endpoint.spec = endpoint.spec.message
        service.endpoint.ports = endpoint.ports.map(\.message)
        service.endpoint.virtualIps = endpoint.virtualIPs.map { vip in
            var stored = Shoal_Cluster_V1_VirtualIP()
            stored.networkID = vip.networkID
            stored.address = vip.address
            return stored
        }
        service.createdAtNs = createdAt.nanoseconds
        service.updatedAtNs = updatedAt.nanoseconds
        if let updateStatus {
            service.updateStatus.state = updateStatus.state.rawValue
            service.updateStatus.startedAtNs = updateStatus.startedAt.nanoseconds
            if let completed = updateStatus.completedAt { service.updateStatus.completedAtNs = completed.nanoseconds }
            service.updateStatus.message = updateStatus.message
        }
        if let sealedRegistryAuth { service.sealedRegistryAuth = Data(sealedRegistryAuth) }
        service.specChangedAfter = specChangedAfter
        return service
    }
}

extension SwarmTask {
    init(_ stored: Versioned<TaskMessage>) { self.init(stored.object, version: stored.version) }

    /// A task as stored or as assigned to a node (which gets no version).
    init(_ task: TaskMessage, version: Int64 = 0) {
        self.init(
            id: task.id, version: UInt64(version), createdAt: Date(nanoseconds: task.createdAtNs),
            updatedAt: Date(nanoseconds: task.updatedAtNs), serviceID: task.serviceID, slot: Int(task.slot),
            nodeID: task.nodeID, labels: task.labels, spec: TaskSpec(task.spec), specVersion: task.specVersion,
            endpoint: task.hasEndpoint ? EndpointSpec(task.endpoint) : nil,
            desiredState: TaskState(rawValue: task.desiredState) ?? .new,
            status: TaskStatus(task.status),
            networksAttachments: task.networksAttachments.map {
                TaskNetworkAttachment(networkID: $0.networkID, addresses: $0.addresses, aliases: $0.aliases)
            })
        restartHistory = task.restartHistoryNs.map(Date.init(nanoseconds:))
    }

    /// The task as the store keeps it (without its version, which is the store's).
    var stored: TaskMessage {
        var task = TaskMessage()
        task.id = id
        task.serviceID = serviceID
        task.slot = Int64(slot)
        task.nodeID = nodeID
        task.labels = labels
        task.spec = spec.message
        task.specVersion = specVersion
        if let endpoint { task.endpoint = endpoint.message }
        task.desiredState = desiredState.rawValue
        task.status = status.stored
        task.restartHistoryNs = restartHistory.map(\.nanoseconds)
        task.networksAttachments = networksAttachments.map { attachment in
            var stored = Shoal_Cluster_V1_TaskNetworkAttachment()
            stored.networkID = attachment.networkID
            stored.addresses = attachment.addresses
            stored.aliases = attachment.aliases
            return stored
        }
        task.createdAtNs = createdAt.nanoseconds
        task.updatedAtNs = updatedAt.nanoseconds
        return task
    }
}

extension TaskStatus {
    init(_ status: Shoal_Cluster_V1_TaskStatus) {
        self.init(
            timestamp: Date(nanoseconds: status.timestampNs), state: TaskState(rawValue: status.state) ?? .new,
            message: status.message, err: status.err,
            containerStatus: status.hasContainerStatus
                ? TaskContainerStatus(containerID: status.containerStatus.containerID,
                                      pid: Int(status.containerStatus.pid),
                                      exitCode: Int(status.containerStatus.exitCode))
                : nil,
            portStatus: status.portStatus.map(PortConfig.init))
        runningSince = status.hasRunningSinceNs ? Date(nanoseconds: status.runningSinceNs) : nil
    }

    var stored: Shoal_Cluster_V1_TaskStatus {
        var stored = Shoal_Cluster_V1_TaskStatus()
        stored.timestampNs = timestamp.nanoseconds
        stored.state = state.rawValue
        stored.message = message
        stored.err = err
        if let containerStatus {
            stored.containerStatus.containerID = containerStatus.containerID
            stored.containerStatus.pid = Int64(containerStatus.pid)
            stored.containerStatus.exitCode = Int64(containerStatus.exitCode)
        }
        stored.portStatus = portStatus.map(\.message)
        if let runningSince { stored.runningSinceNs = runningSince.nanoseconds }
        return stored
    }
}

extension Date {
    /// Seconds from 1970 to Foundation's reference date (2001-01-01).
    private static let referenceOffset: Int64 = 978_307_200

    /// Services and tasks keep their times to the nanosecond, as Docker shows them. Counted from Foundation's own
    /// reference date, which a `Date` holds exactly, so a time read back is the time written.
    init(nanoseconds: Int64) {
        let sinceReference = nanoseconds - Self.referenceOffset * 1_000_000_000
        let seconds = sinceReference / 1_000_000_000
        let fraction = sinceReference % 1_000_000_000
        self.init(timeIntervalSinceReferenceDate: Double(seconds) + Double(fraction) / 1_000_000_000)
    }

    var nanoseconds: Int64 {
        let interval = timeIntervalSinceReferenceDate
        let seconds = interval.rounded(.down)
        return (Int64(seconds) + Self.referenceOffset) * 1_000_000_000
            + Int64(((interval - seconds) * 1_000_000_000).rounded())
    }
}
