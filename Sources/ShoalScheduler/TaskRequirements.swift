import ShoalModel

/// What a task asks of a node, compiled once per task group from its spec: the filters that apply to it and
/// their parameters. A filter with nothing to check (no reservation, no constraint …) is off, as in SwarmKit.
struct TaskRequirements: Sendable {
    var serviceID: String
    var reservations: Resources
    var constraints: [Constraint]
    var platforms: [Platform]
    var hostPorts: [HostPort]
    var maxReplicas: UInt64
    /// A log driver other than the engine's default that the node must offer.
    var logDriver: String?
    private(set) var enabled: [SchedulingFilter]

    /// Constraints were validated when the service was created; one that no longer parses disables the
    /// constraint filter rather than stranding the task (SwarmKit does the same).
    init(_ task: SwarmTask) {
        serviceID = task.serviceID
        let spec = task.spec
        reservations = spec.resources.reservations
        constraints = (try? Constraint.parse(spec.placement.constraints)) ?? []
        platforms = spec.placement.platforms
        hostPorts = (task.endpoint?.fixedHostPorts ?? []).map { HostPort(protocol: $0.protocol, port: $0.publishedPort) }
        maxReplicas = spec.placement.maxReplicas
        logDriver = spec.logDriver.map(\.name).flatMap { $0.isEmpty || $0 == "none" ? nil : $0 }
        enabled = [.ready]
        if !reservations.isZero { enabled.append(.resources) }
        if logDriver != nil { enabled.append(.plugins) }
        if !constraints.isEmpty { enabled.append(.constraints) }
        if !platforms.isEmpty { enabled.append(.platform) }
        if !hostPorts.isEmpty { enabled.append(.hostPorts) }
        if maxReplicas > 0 { enabled.append(.maxReplicas) }
    }

    /// The first filter the node fails, or nil when it can take the task now.
    func firstFailure(on node: NodeInfo) -> SchedulingFilter? {
        enabled.first { !passes($0, on: node) }
    }

    /// The first filter that changes as tasks land, which the node fails; for re-checks inside a group, where
    /// the static filters were already passed.
    func firstDynamicFailure(on node: NodeInfo) -> SchedulingFilter? {
        enabled.first { !$0.isStatic && !passes($0, on: node) }
    }

    func passes(_ filter: SchedulingFilter, on info: NodeInfo) -> Bool {
        switch filter {
        case .ready:
            return info.node.status.state == .ready && info.node.spec.availability == .active
        case .resources:
            return reservations.nanoCPUs <= info.available.nanoCPUs
                && reservations.memoryBytes <= info.available.memoryBytes
        case .plugins:
            return logDriver.map { Self.engine(info.node.description, offersLogDriver: $0) } ?? true
        case .constraints:
            return constraints.allMatch(info.node)
        case .platform:
            return platforms.contains { Self.platform($0, runsOn: info.node.description) }
        case .hostPorts:
            return !hostPorts.contains { info.isHostPortInUse($0) }
        case .maxReplicas:
            return UInt64(info.activeTasks(ofService: serviceID)) < maxReplicas
        }
    }

    /// A node that reports no log drivers at all is an older engine that does not say: it is given the benefit
    /// of the doubt (SwarmKit's rule). A plugin installed as `name:latest` answers to `name`.
    static func engine(_ node: NodeDescription, offersLogDriver name: String) -> Bool {
        let drivers = node.plugins.filter { $0.kind == "Log" }.map(\.name)
        return drivers.isEmpty || drivers.contains { $0 == name || $0 == name + ":latest" }
    }

    /// An empty field in the wanted platform matches anything; the two spellings of each common architecture
    /// (uname's and Go's) are one.
    static func platform(_ wanted: Platform, runsOn node: NodeDescription) -> Bool {
        let arch = normalized(wanted.architecture)
        return (arch.isEmpty || arch == normalized(node.architecture))
            && (wanted.os.isEmpty || wanted.os == node.os)
    }

    private static func normalized(_ architecture: String) -> String {
        switch architecture {
        case "x86_64": "amd64"
        case "aarch64": "arm64"
        default: architecture
        }
    }
}
