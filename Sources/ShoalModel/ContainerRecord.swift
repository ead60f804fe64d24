import Foundation

/// A container as the engine knows it: identity, what was asked, what was resolved, and its current state.
public struct ContainerRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var created: Date
    public var spec: ContainerSpec
    /// Image ID (config digest, `sha256:…`) and the name the user gave.
    public var imageID: String
    /// Entrypoint and command after merging with the image's; the process runs `entrypoint + cmd`.
    public var entrypoint: [String]
    public var cmd: [String]
    /// The environment after merging the image's with the user's.
    public var env: [String]
    public var workingDir: String
    public var user: String
    public var hostname: String
    public var stopSignal: String
    public var state: ContainerState
    public var restartCount: Int
    /// Resolved mounts (volumes named, sources resolved to host paths).
    public var mounts: [ResolvedMount]
    /// The image's exposed ports and labels merged with the user's (for inspect and `docker ps`).
    public var exposedPorts: [String]
    public var labels: [String: String]
    /// True once the user stopped it (for `unless-stopped` and to skip restart policies).
    public var manuallyStopped: Bool
    /// Interfaces, addresses and published ports while it runs.
    public var network: ContainerNetworkState
    /// The health check after merging the user's with the image's (nil: none at all).
    public var healthcheck: HealthConfig?

    public init(id: String, name: String, created: Date, spec: ContainerSpec, imageID: String, entrypoint: [String],
                cmd: [String], env: [String], workingDir: String, user: String, hostname: String,
                stopSignal: String, mounts: [ResolvedMount], exposedPorts: [String], labels: [String: String]) {
        self.id = id
        self.name = name
        self.created = created
        self.spec = spec
        self.imageID = imageID
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.env = env
        self.workingDir = workingDir
        self.user = user
        self.hostname = hostname
        self.stopSignal = stopSignal
        self.state = ContainerState()
        self.restartCount = 0
        self.mounts = mounts
        self.exposedPorts = exposedPorts
        self.labels = labels
        self.manuallyStopped = false
        self.network = ContainerNetworkState()
    }

    public var shortID: String { String(id.prefix(12)) }
    /// Docker's Path and Args: the first word of `entrypoint + cmd` and the rest.
    public var path: String { (entrypoint + cmd).first ?? "" }
    public var args: [String] { Array((entrypoint + cmd).dropFirst()) }
}

public struct ResolvedMount: Codable, Sendable, Equatable {
    public var kind: MountSpec.Kind
    /// Volume name for volumes, host path for binds.
    public var name: String
    public var source: String
    public var destination: String
    public var readOnly: Bool
    public var mode: String
    public var tmpfsSize: Int64
    public var tmpfsMode: UInt32?
    /// Created for this container only (anonymous volume): removed with `docker rm -v`.
    public var anonymous: Bool
    /// A bind's propagation (nil: rprivate).
    public var propagation: String? = nil

    public init(kind: MountSpec.Kind, name: String, source: String, destination: String, readOnly: Bool,
                mode: String = "", tmpfsSize: Int64 = 0, tmpfsMode: UInt32? = nil, anonymous: Bool = false) {
        self.kind = kind
        self.name = name
        self.source = source
        self.destination = destination
        self.readOnly = readOnly
        self.mode = mode
        self.tmpfsSize = tmpfsSize
        self.tmpfsMode = tmpfsMode
        self.anonymous = anonymous
    }
}

/// Docker's container states. Allowed transitions: created → running ⇄ paused; running → restarting → running;
/// running|paused → exited; any → removing → (gone); a container whose runtime state cannot be recovered is dead.
public struct ContainerState: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case created, running, paused, restarting, removing, exited, dead
    }

    public var status: Status = .created
    public var pid: Int32 = 0
    public var exitCode: Int32 = 0
    public var error: String = ""
    public var oomKilled: Bool = false
    public var startedAt: Date? = nil
    public var finishedAt: Date? = nil
    /// Set while a container with a health check runs, and kept (last known) once it stops.
    public var health: HealthState? = nil

    public init() {}

    public var isRunning: Bool { status == .running || status == .paused || status == .restarting }
}
