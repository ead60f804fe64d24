import ShoalCore
import ShoalModel
import ShoalScheduler

/// The checks SwarmKit's control API makes on a service spec before it looks at the store (controlapi's
/// validateServiceSpec), with its words: each message is what `docker service create/update` prints after "Error
/// response from daemon: ", so it carries the gRPC status the way Docker shows it.
extension ServiceSpec {
    func validate() throws {
        try Self.validateName(name)
        try taskTemplate.validate()
        if let updateConfig { try updateConfig.validate(kind: "update") }
        if let rollbackConfig { try rollbackConfig.validate(kind: "rollback") }
        if let endpointSpec { try endpointSpec.validate() }
        do {
            _ = try MeshPublishing(labels: labels)
            _ = try ServiceDependencies(labels: labels, serviceName: name)
        } catch let error as ShoalError {
            throw ServiceErrors.invalidArgument(error.message)
        }
    }

    /// A service name is one DNS label: letters and digits, with `-` or `_` inside, at most 63 characters
    /// (SwarmKit's validateAnnotations).
    static func validateName(_ name: String) throws {
        guard !name.isEmpty else { throw ServiceErrors.invalidArgument("meta: name must be provided") }
        let allowed = name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }
        let edges = [name.unicodeScalars.first!, name.unicodeScalars.last!].allSatisfy { $0 != "-" && $0 != "_" }
        guard allowed, edges else { throw ServiceErrors.invalidArgument("name must be valid as a DNS name component") }
        guard name.utf8.count <= 63 else { throw ServiceErrors.invalidArgument("name must be 63 characters or fewer") }
    }
}

extension TaskSpec {
    func validate() throws {
        try resources.limits.validate()
        try resources.reservations.validate()
        if restartPolicy.delay < 0 {
            throw ServiceErrors.invalidArgument("TaskSpec: restart-delay cannot be negative")
        }
        if restartPolicy.window < 0 {
            throw ServiceErrors.invalidArgument("TaskSpec: restart-window cannot be negative")
        }
        // A malformed constraint is a plain error in SwarmKit, so Docker shows it with code Unknown (HTTP 500).
        do {
            _ = try Constraint.parse(placement.constraints)
        } catch {
            throw ShoalError.internalError("rpc error: code = Unknown desc = \(error.message)")
        }
        guard !containerSpec.image.isEmpty else {
            throw ServiceErrors.invalidArgument("ContainerSpec: image reference must be provided")
        }
        if let problem = containerSpec.healthcheck?.validate(prefix: "ContainerSpec: ", name: "HealthConfig") {
            throw ServiceErrors.invalidArgument(problem)
        }
        var targets: Set<String> = []
        for mount in containerSpec.mounts where !targets.insert(mount.target).inserted {
            throw ServiceErrors.invalidArgument("ContainerSpec: duplicate mount point: \(mount.target)")
        }
    }
}

extension Resources {
    /// SwarmKit's floors: a thousandth of a CPU, 4 MiB of memory.
    func validate() throws {
        if nanoCPUs != 0 && nanoCPUs < 1_000_000 {
            throw ServiceErrors.invalidArgument(
                // Swift's shortest form of these small numbers is Go's %g ("0.0005", "1e-05").
                "invalid cpu value \(Double(nanoCPUs) / 1e9): Must be at least 0.001")
        }
        if memoryBytes != 0 && memoryBytes < 4 * 1024 * 1024 {
            throw ServiceErrors.invalidArgument("invalid memory value \(memoryBytes): Must be at least 4MiB")
        }
    }
}

extension UpdateConfig {
    func validate(kind: String) throws {
        if delay < 0 { throw ServiceErrors.invalidArgument("TaskSpec: \(kind)-delay cannot be negative") }
        if monitor < 0 { throw ServiceErrors.invalidArgument("TaskSpec: \(kind)-monitor cannot be negative") }
        if maxFailureRatio < 0 || maxFailureRatio > 1 {
            throw ServiceErrors.invalidArgument(
                "TaskSpec: \(kind)-maxfailureratio cannot be less than 0 or bigger than 1")
        }
    }
}

extension EndpointSpec {
    /// DNS round robin has no virtual IP for the routing mesh to balance to; a published port and protocol is
    /// given once.
    func validate() throws {
        var published: Set<String> = []
        for port in ports {
            if mode == .dnsrr && port.publishMode == .ingress {
                throw ServiceErrors.invalidArgument(
                    "EndpointSpec: port published with ingress mode can't be used with dnsrr mode")
            }
            guard port.publishedPort != 0 else { continue }
            if !published.insert("\(port.publishedPort)/\(port.protocol.rawValue)").inserted {
                throw ServiceErrors.invalidArgument("EndpointSpec: duplicate published ports provided")
            }
        }
    }
}
