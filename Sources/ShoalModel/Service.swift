import Foundation

// Swarm services as Docker's API (v1.41, `types/swarm`) shapes them, so the API layer converts 1:1. Durations are
// seconds (as in Swarm.swift); the JSON edge turns them into Docker's nanoseconds. Each type's defaults are the
// values `docker service create` stores when no flag sets them (SwarmKit's `api/defaults`); optional parts
// (`updateConfig` …) are nil until set, as in Docker's JSON.

/// What `docker service create/update` sets (`ServiceSpec`).
public struct ServiceSpec: Codable, Sendable, Equatable {
    public var name: String
    public var labels: [String: String]
    public var taskTemplate: TaskSpec
    public var mode: ServiceMode
    public var updateConfig: UpdateConfig?
    public var rollbackConfig: UpdateConfig?
    public var endpointSpec: EndpointSpec?

    public init(name: String, labels: [String: String] = [:], taskTemplate: TaskSpec,
                mode: ServiceMode = .replicated(replicas: 1), updateConfig: UpdateConfig? = nil,
                rollbackConfig: UpdateConfig? = nil, endpointSpec: EndpointSpec? = nil) {
        self.name = name
        self.labels = labels
        self.taskTemplate = taskTemplate
        self.mode = mode
        self.updateConfig = updateConfig
        self.rollbackConfig = rollbackConfig
        self.endpointSpec = endpointSpec
    }
}

/// `--mode replicated|global` (Docker's `Mode.Replicated.Replicas` / `Mode.Global`). Jobs (`replicated-job`,
/// `global-job`) are not modelled yet.
public enum ServiceMode: Codable, Sendable, Equatable {
    case replicated(replicas: UInt64)
    case global

    public var isGlobal: Bool {
        if case .global = self { return true }
        return false
    }
}

/// A service as stored (`docker service inspect`): the spec, the one it replaced (for rollback) and the
/// endpoint the allocator resolved (published ports, VIPs).
public struct SwarmService: Codable, Sendable, Equatable {
    public var id: String
    public var version: UInt64
    public var createdAt: Date
    public var updatedAt: Date
    public var spec: ServiceSpec
    public var previousSpec: ServiceSpec?
    public var endpoint: ServiceEndpoint
    /// The last rolling update or rollback (`UpdateStatus`); nil until the first one.
    public var updateStatus: ServiceUpdateStatus? = nil
    /// `--with-registry-auth`: the client's credentials, sealed with the cluster's data key by the leader (opaque
    /// everywhere else, never shown).
    public var sealedRegistryAuth: [UInt8]? = nil
    /// The version the service had just before its spec last changed (0: unchanged since its creation). Writes
    /// that leave the spec alone (the allocator's VIPs, the updater's status) come after it.
    public var specChangedAfter: UInt64 = 0

    public init(id: String, version: UInt64, createdAt: Date, updatedAt: Date, spec: ServiceSpec,
                previousSpec: ServiceSpec? = nil, endpoint: ServiceEndpoint = ServiceEndpoint()) {
        self.id = id
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.spec = spec
        self.previousSpec = previousSpec
        self.endpoint = endpoint
    }

    /// Replaces the spec, recording that it changed after the current version.
    public mutating func changeSpec(to spec: ServiceSpec, keepingPrevious: Bool = true) {
        previousSpec = keepingPrevious ? self.spec : nil
        self.spec = spec
        specChangedAfter = version
    }
}

extension SwarmService: SpecVersioned {}

/// Where a rolling update or rollback stands (Docker's `UpdateStatus`).
public struct ServiceUpdateStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable, CaseIterable {
        case updating
        case paused
        case completed
        case rollbackStarted = "rollback_started"
        case rollbackPaused = "rollback_paused"
        case rollbackCompleted = "rollback_completed"
    }

    public var state: State
    public var startedAt: Date
    public var completedAt: Date?
    public var message: String

    public init(state: State, startedAt: Date, completedAt: Date? = nil, message: String) {
        self.state = state
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.message = message
    }

    /// Still replacing tasks (an update or a rollback).
    public var inProgress: Bool { state == .updating || state == .rollbackStarted }
    public var isRollback: Bool { state == .rollbackStarted || state == .rollbackPaused || state == .rollbackCompleted }
}
