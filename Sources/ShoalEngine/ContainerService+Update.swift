import Foundation
import ShoalCore
import ShoalModel
import ShoalRuntime

/// `docker update`: new limits and restart policy, kept in the record and, for a running or paused container,
/// applied to its cgroups at once (`runc update`). Docker's refusals, with its messages; nothing changes when one
/// is met or the runtime refuses the new limits.
extension ContainerService {
    public func update(_ ref: String, _ change: ContainerUpdate) async throws -> [String] {
        let id = try resolve(ref).id
        return try await locks.withLock(id) {
            guard var record = records[id] else { throw ShoalError.notFound("No such container: \(ref)") }
            if record.state.status == .removing || record.state.status == .dead {
                throw ShoalError.conflict("Container is marked for removal and cannot be \"update\"")
            }
            record.spec.host = try Self.updated(record.spec.host, with: change)
            if record.state.status == .running || record.state.status == .paused {
                do {
                    try await runtime.update(id: id, resources: Self.resources(change))
                } catch let error as ShoalError {
                    throw ShoalError.internalError("Cannot update container \(id): \(error.message)")
                }
            }
            try save(record)
            publish(record, "update")
            return []
        }
    }

    /// `host` with `change` applied, or Docker's refusal.
    static func updated(_ host: HostSpec, with change: ContainerUpdate) throws -> HostSpec {
        var host = host
        if let policy = change.restartPolicy {
            if host.autoRemove && policy.name != .no {
                throw ShoalError.invalidArgument(
                    "Restart policy cannot be updated because AutoRemove is enabled for the container")
            }
            host.restartPolicy = policy
        }
        if let memory = change.memory {
            try ResourceLimits.checkMemory(memory)
            if change.memorySwap == nil, host.memorySwap > 0, memory > host.memorySwap {
                throw ShoalError.invalidArgument("Memory limit should be smaller than already set memoryswap limit, "
                                                 + "update the memoryswap at the same time")
            }
            host.memory = memory
        }
        if let swap = change.memorySwap {
            if swap > 0, swap < host.memory {
                throw ShoalError.invalidArgument(
                    "Minimum memoryswap limit should be larger than memory limit, see usage")
            }
            host.memorySwap = swap
        }
        if let nano = change.nanoCPUs {
            try ResourceLimits.checkNanoCPUs(nano)
            host.nanoCPUs = nano
        }
        if let shares = change.cpuShares { host.cpuShares = shares }
        if let cpus = change.cpusetCpus { host.cpusetCpus = cpus }
        if let mems = change.cpusetMems { host.cpusetMems = mems }
        if let pids = change.pidsLimit { host.pidsLimit = pids > 0 ? pids : nil }
        return host
    }

    static func resources(_ change: ContainerUpdate) -> ResourceUpdate {
        var resources = ResourceUpdate()
        resources.memory = change.memory
        resources.memorySwap = change.memorySwap
        resources.cpuShares = change.cpuShares.map { UInt64($0) }
        resources.cpus = change.nanoCPUs.map { Double($0) / 1e9 }
        resources.cpusetCpus = change.cpusetCpus
        resources.cpusetMems = change.cpusetMems
        resources.pidsLimit = change.pidsLimit
        return resources
    }
}
