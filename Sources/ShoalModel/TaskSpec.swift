import Foundation

/// The template each task of a service is made from (Docker's `TaskSpec`). A change to it (or a bump of
/// `forceUpdate`) is what makes the updater replace tasks.
public struct TaskSpec: Codable, Sendable, Equatable {
    public var containerSpec: TaskContainerSpec
    public var resources: ResourceRequirements
    public var restartPolicy: TaskRestartPolicy
    public var placement: Placement
    /// Networks the task joins, with the aliases it answers to there (`--network name=…,alias=…`).
    public var networks: [NetworkAttachmentConfig]
    public var logDriver: LogDriver?
    /// Bumped by `docker service update --force` so an otherwise equal spec still counts as changed.
    public var forceUpdate: UInt64

    public init(containerSpec: TaskContainerSpec, resources: ResourceRequirements = ResourceRequirements(),
                restartPolicy: TaskRestartPolicy = TaskRestartPolicy(), placement: Placement = Placement(),
                networks: [NetworkAttachmentConfig] = [], logDriver: LogDriver? = nil, forceUpdate: UInt64 = 0) {
        self.containerSpec = containerSpec
        self.resources = resources
        self.restartPolicy = restartPolicy
        self.placement = placement
        self.networks = networks
        self.logDriver = logDriver
        self.forceUpdate = forceUpdate
    }
}

/// A network a task joins (Docker's `NetworkAttachmentConfig`): `target` is the network's name or ID as given.
public struct NetworkAttachmentConfig: Codable, Sendable, Equatable {
    public var target: String
    public var aliases: [String]
    public var driverOpts: [String: String]

    public init(target: String, aliases: [String] = [], driverOpts: [String: String] = [:]) {
        self.target = target
        self.aliases = aliases
        self.driverOpts = driverOpts
    }
}

/// `--log-driver` and `--log-opt` (Docker's `Driver`).
public struct LogDriver: Codable, Sendable, Equatable {
    public var name: String
    public var options: [String: String]

    public init(name: String, options: [String: String] = [:]) {
        self.name = name
        self.options = options
    }
}

/// `--limit-*` and `--reserve-*` (Docker's `ResourceRequirements`). Zero means unset.
public struct ResourceRequirements: Codable, Sendable, Equatable, Hashable {
    /// Enforced on the container (cgroups).
    public var limits: Resources
    /// Held on the node by the scheduler: a node only takes a task whose reservation fits what is left.
    public var reservations: Resources

    public init(limits: Resources = Resources(), reservations: Resources = Resources()) {
        self.limits = limits
        self.reservations = reservations
    }
}

/// CPU (in billionths of a CPU, `--limit-cpu 0.5` = 500_000_000) and memory in bytes. `pids` is a limit only.
public struct Resources: Codable, Sendable, Equatable, Hashable {
    public var nanoCPUs: Int64
    public var memoryBytes: Int64
    public var pids: Int64

    public init(nanoCPUs: Int64 = 0, memoryBytes: Int64 = 0, pids: Int64 = 0) {
        self.nanoCPUs = nanoCPUs
        self.memoryBytes = memoryBytes
        self.pids = pids
    }

    public var isZero: Bool { nanoCPUs == 0 && memoryBytes == 0 }
}

/// `--restart-*` for service tasks (Docker's swarm `RestartPolicy`; the container `RestartPolicy` in
/// ContainerSpec.swift is the local engine's, a different thing).
public struct TaskRestartPolicy: Codable, Sendable, Equatable {
    public enum Condition: String, Codable, Sendable, CaseIterable {
        case none
        case onFailure = "on-failure"
        case any
    }

    public var condition: Condition
    /// Wait between a task's end and its replacement's start.
    public var delay: TimeInterval
    /// 0: unlimited.
    public var maxAttempts: UInt64
    /// The window restarts are counted in; 0: unbounded.
    public var window: TimeInterval

    /// SwarmKit's defaults: restart on any exit, 5 s apart, no limit.
    public init(condition: Condition = .any, delay: TimeInterval = 5, maxAttempts: UInt64 = 0,
                window: TimeInterval = 0) {
        self.condition = condition
        self.delay = delay
        self.maxAttempts = maxAttempts
        self.window = window
    }
}
