/// Where a service's tasks may run (Docker's `Placement`).
public struct Placement: Codable, Sendable, Equatable, Hashable {
    /// `--constraint` expressions as given (`node.labels.zone==east`); parsed by ShoalScheduler's `Constraint`.
    public var constraints: [String]
    /// `--placement-pref spread=…`, outermost first.
    public var preferences: [PlacementPreference]
    /// `--replicas-max-per-node`; 0: no limit.
    public var maxReplicas: UInt64
    /// Platforms the image offers; a task only goes to a node whose OS and architecture match one. Empty: any.
    public var platforms: [Platform]

    public init(constraints: [String] = [], preferences: [PlacementPreference] = [], maxReplicas: UInt64 = 0,
                platforms: [Platform] = []) {
        self.constraints = constraints
        self.preferences = preferences
        self.maxReplicas = maxReplicas
        self.platforms = platforms
    }
}

/// One placement preference. Docker knows only `spread` (`Spread.SpreadDescriptor`, e.g. `node.labels.zone`).
public struct PlacementPreference: Codable, Sendable, Equatable, Hashable {
    public var spreadDescriptor: String

    public init(spreadDescriptor: String) { self.spreadDescriptor = spreadDescriptor }
}

/// An OS and architecture pair (Docker's `Platform`), e.g. `linux`/`amd64`.
public struct Platform: Codable, Sendable, Equatable, Hashable {
    public var architecture: String
    public var os: String

    public init(architecture: String = "", os: String = "") {
        self.architecture = architecture
        self.os = os
    }
}
