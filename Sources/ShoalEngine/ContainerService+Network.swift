import Foundation
import ShoalCore
import ShoalModel

extension ContainerService {
    /// `docker network connect`: a running container gets the interface at once; a stopped one joins at its
    /// next start. Either way the network is added to its configuration.
    public func connect(_ ref: String, network reference: String, request: EndpointRequest) async throws {
        let id = try resolve(ref).id
        try await locks.withLock(id) {
            guard var record = records[id] else { throw ShoalError.notFound("No such container: \(ref)") }
            let name = try await sandboxes.networkName(reference)
            if ["host", "none"].contains(record.spec.host.networkMode) {
                throw ShoalError.permissionDenied(
                    "container cannot be disconnected from host network or connected to host network")
            }
            if record.state.status == .running || record.state.status == .paused {
                record.network = try await sandboxes.connect(record, network: name, request: request)
            } else {
                if record.spec.networks[name] != nil {
                    throw ShoalError.permissionDenied("endpoint with name \(record.name) already exists in network \(name)")
                }
                var probe = record.spec
                probe.networks[name] = request
                _ = try await sandboxes.prepare(probe)
            }
            record.spec.networks[name] = request
            try save(record)
        }
    }

    /// `docker network disconnect`: removes the interface of a running container at once and the network from
    /// its configuration.
    public func disconnect(_ ref: String, network reference: String, force: Bool) async throws {
        let id: String
        do {
            id = try resolve(ref).id
        } catch let error as ShoalError where error.code == .notFound && force {
            return
        }
        try await locks.withLock(id) {
            guard var record = records[id] else { throw ShoalError.notFound("No such container: \(ref)") }
            let name = try await sandboxes.networkName(reference)
            if record.state.status == .running || record.state.status == .paused {
                record.network = try await sandboxes.disconnect(record, network: name)
            } else if record.spec.networks[name] == nil {
                throw ShoalError.permissionDenied("container \(record.id) is not connected to network \(name)")
            }
            record.spec.networks[name] = nil
            try save(record)
        }
    }
}
