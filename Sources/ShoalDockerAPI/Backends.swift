/// ShoalDockerAPI: the Docker Engine API (v1.41) as Shoal's front door. It owns routing, Docker's JSON shapes,
/// error rendering and stream hijacking; it calls the backends declared here and nothing else. It must never
/// reach into the engine, the runtime or the image store directly: every route is testable with fake backends.
import Foundation
import ShoalCore
import ShoalModel

public protocol ContainerBackend: Sendable {
    func createContainer(name: String?, spec: ContainerSpec) async throws -> (id: String, warnings: [String])
    func container(_ ref: String) async throws -> ContainerRecord
    func listContainers() async throws -> [ContainerRecord]
    func startContainer(_ ref: String) async throws
    func stopContainer(_ ref: String, timeout: Int?, signal: String?) async throws
    func restartContainer(_ ref: String, timeout: Int?, signal: String?) async throws
    func killContainer(_ ref: String, signal: String?) async throws
    func pauseContainer(_ ref: String) async throws
    func unpauseContainer(_ ref: String) async throws
    func removeContainer(_ ref: String, force: Bool, removeVolumes: Bool) async throws
    func renameContainer(_ ref: String, to newName: String) async throws
    /// Registers the wait at once (so a wait sent before start sees the next exit) and returns what to await.
    func waitContainer(_ ref: String, condition: WaitCondition) async throws -> @Sendable () async -> WaitResult
    func attachContainer(_ ref: String, stdin: Bool, stdout: Bool, stderr: Bool, logs: Bool, stream: Bool)
        async throws -> any StreamSession
    func resizeContainer(_ ref: String, height: Int, width: Int) async throws
    func containerLogs(_ ref: String, options: LogOptions) async throws -> AsyncThrowingStream<LogEntry, any Error>
    func containerTop(_ ref: String, psArgs: String?) async throws -> ProcessTable
    /// `docker diff`.
    func containerChanges(_ ref: String) async throws -> [FilesystemChange]
    /// `docker update`: its warnings.
    func updateContainer(_ ref: String, _ update: ContainerUpdate) async throws -> [String]
    /// `docker commit`: the new image's ID.
    func commitContainer(_ ref: String, reference: String?, comment: String, author: String, changes: [String],
                         pause: Bool) async throws -> String
    func containerStats(_ ref: String) async throws -> ContainerStats
    func pruneContainers(labels: [String]) async throws -> (deleted: [String], spaceReclaimed: Int64)

    func createExec(_ ref: String, spec: ExecSpec) async throws -> String
    /// Starts an exec; returns its streams unless detached.
    func startExec(_ id: String, detach: Bool) async throws -> (any StreamSession)?
    func exec(_ id: String) async throws -> ExecRecord
    func resizeExec(_ id: String, height: Int, width: Int) async throws

    /// `docker cp` out of a container: a tar of `path` written to `destination` (a file the route streams back).
    func archive(_ ref: String, path: String, to destination: String) async throws -> PathStat
    func statPath(_ ref: String, path: String) async throws -> PathStat
    /// `docker cp` into a container: extracts the tar at `source` under `path`.
    func extract(_ ref: String, path: String, from source: String, noOverwriteDirNonDir: Bool) async throws
}

/// What `HEAD /containers/{id}/archive` tells about a path (Docker's X-Docker-Container-Path-Stat).
public struct PathStat: Codable, Sendable, Equatable {
    public var name: String
    public var size: Int64
    public var mode: UInt32
    public var mtime: Date
    public var linkTarget: String
    public init(name: String, size: Int64, mode: UInt32, mtime: Date, linkTarget: String) {
        self.name = name
        self.size = size
        self.mode = mode
        self.mtime = mtime
        self.linkTarget = linkTarget
    }
}

/// A progress message as Docker streams them for pull, push and load (`{"status":…,"id":…,"progressDetail":…}`).
public struct ProgressMessage: Sendable, Equatable {
    public var id: String?
    public var status: String?
    public var stream: String?
    public var current: Int64?
    public var total: Int64?
    public var error: String?

    public init(id: String? = nil, status: String? = nil, stream: String? = nil, current: Int64? = nil,
                total: Int64? = nil, error: String? = nil) {
        self.id = id
        self.status = status
        self.stream = stream
        self.current = current
        self.total = total
        self.error = error
    }
}

public protocol ImageBackend: Sendable {
    func listImages() async throws -> [ImageInfo]
    func image(_ ref: String) async throws -> ImageInfo
    func imageHistory(_ ref: String) async throws -> [ImageHistoryEntry]
    func tagImage(_ ref: String, repository: String, tag: String?) async throws
    func removeImage(_ ref: String, force: Bool, prune: Bool) async throws -> [ImageDeleteItem]
    func pruneImages(danglingOnly: Bool) async throws -> (deleted: [ImageDeleteItem], spaceReclaimed: Int64)
    /// Loads a docker-save tarball or an OCI layout from a file; returns Docker's "Loaded image: …" lines.
    func loadImages(fromFile path: String) async throws -> [String]
    func saveImages(_ refs: [String], toFile path: String) async throws
    /// `docker import`: a one-layer image from a rootfs tarball.
    func importImage(fromFile path: String, repository: String?, tag: String?, changes: [String], message: String)
        async throws -> String
    func pullImage(_ reference: String, auth: RegistryAuth?, progress: @escaping @Sendable (ProgressMessage) -> Void)
        async throws
    func pushImage(_ reference: String, auth: RegistryAuth?, progress: @escaping @Sendable (ProgressMessage) -> Void)
        async throws
    /// `docker login`: checks the credentials against the registry.
    func login(_ auth: RegistryAuth) async throws -> String
}

public struct RegistryAuth: Codable, Sendable, Equatable {
    public var username: String?
    public var password: String?
    public var serverAddress: String?
    public var identityToken: String?
    public init(username: String?, password: String?, serverAddress: String?, identityToken: String? = nil) {
        self.username = username
        self.password = password
        self.serverAddress = serverAddress
        self.identityToken = identityToken
    }

    /// The credentials of an `X-Registry-Auth` header (base64url JSON, as the CLI sends it and as a service keeps
    /// it for `--with-registry-auth`); nil when it holds none or cannot be read.
    public init?(header: String) {
        guard !header.isEmpty else { return nil }
        var text = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text),
              let auth = try? JSONDecoder().decode(AuthConfigWire.self, from: data) else { return nil }
        if auth.username == nil && auth.password == nil && auth.identitytoken == nil { return nil }
        self.init(username: auth.username, password: auth.password, serverAddress: auth.serveraddress,
                  identityToken: auth.identitytoken)
    }
}

public protocol VolumeBackend: Sendable {
    func createVolume(name: String?, driver: String?, labels: [String: String], options: [String: String])
        async throws -> VolumeRecord
    func listVolumes() async throws -> [VolumeRecord]
    func volume(_ name: String) async throws -> VolumeRecord
    func removeVolume(_ name: String, force: Bool) async throws
    func pruneVolumes(all: Bool, labels: [String]) async throws -> (deleted: [String], spaceReclaimed: Int64)
    /// Containers using each volume (for `volume ls --filter dangling`).
    func volumeUsage() async throws -> [String: Int]
}

public protocol SystemBackend: Sendable {
    func systemInfo() async throws -> SystemInfo
    func diskUsage() async throws -> DiskUsage
    /// Events since a time (replayed from the engine's recent history) and then live ones until `until`.
    func events(since: Date?, until: Date?) async -> AsyncStream<EngineEvent>
}

/// `/networks/…`.
public protocol NetworkBackend: Sendable {
    func listNetworks() async throws -> [NetworkView]
    func network(_ ref: String) async throws -> NetworkView
    func createNetwork(_ request: NetworkCreateRequest) async throws -> NetworkRecord
    func removeNetwork(_ ref: String) async throws
    /// Removes unused user networks whose labels pass `labelFilter`; returns their names.
    func pruneNetworks(labelFilter: @escaping @Sendable ([String: String]) -> Bool) async throws -> [String]
    func connect(container: String, network: String, request: EndpointRequest) async throws
    func disconnect(container: String, network: String, force: Bool) async throws
}

/// Everything the API needs, gathered once by the daemon.
public struct DockerBackends: Sendable {
    public var containers: any ContainerBackend
    public var images: any ImageBackend
    public var volumes: any VolumeBackend
    public var networks: any NetworkBackend
    public var swarm: any SwarmBackend
    public var services: any ServiceBackend
    public var dataObjects: any DataObjectBackend
    public var system: any SystemBackend

    public init(containers: any ContainerBackend, images: any ImageBackend, volumes: any VolumeBackend,
                networks: any NetworkBackend, swarm: any SwarmBackend, services: any ServiceBackend,
                dataObjects: any DataObjectBackend, system: any SystemBackend) {
        self.containers = containers
        self.images = images
        self.volumes = volumes
        self.networks = networks
        self.swarm = swarm
        self.services = services
        self.dataObjects = dataObjects
        self.system = system
    }
}

/// `/services/…` and `/tasks/…`, answered by a swarm manager (Docker's 503 "This node is not a swarm manager…"
/// elsewhere, ShoalError.unavailable). References are a full ID, a name (services) or a unique ID prefix.
public protocol ServiceBackend: Sendable {
    /// Returns the new service's ID. `registryAuth`: the client's X-Registry-Auth (`--with-registry-auth`), for the
    /// nodes to pull the image with.
    func createService(_ spec: ServiceSpec, registryAuth: String?) async throws -> String
    func listServices() async throws -> [SwarmService]
    func service(_ ref: String) async throws -> SwarmService
    /// `version` must match the service's (optimistic concurrency, as Docker).
    /// `rollback`: the previous spec comes back instead of `spec` (`docker service rollback`). `registryAuth`: new
    /// credentials for the nodes' pulls (nil: the service keeps its own).
    func updateService(_ ref: String, version: UInt64, spec: ServiceSpec, rollback: Bool, registryAuth: String?)
        async throws
    func removeService(_ ref: String) async throws
    func listTasks() async throws -> [SwarmTask]
    func task(_ ref: String) async throws -> SwarmTask
    /// The log lines of the selected tasks on every node (`docker service logs`), as the nodes send them; with
    /// `follow`, until the caller stops reading. The stream throws at its end when some logs could not be read.
    func taskLogs(_ selector: TaskLogSelector, options: LogOptions) async throws
        -> AsyncThrowingStream<TaskLogMessage, any Error>
}

/// `/secrets/…` and `/configs/…` (one kind each), answered by a swarm manager (Docker's 503 "This node is not a
/// swarm manager…" elsewhere, ShoalError.unavailable). References are a full ID, a name or a unique ID prefix. A
/// secret comes back without its payload, always; a config with it.
public protocol DataObjectBackend: Sendable {
    /// Returns the new object's ID.
    func createDataObject(_ kind: DataObjectKind, spec: DataObjectSpec) async throws -> String
    func listDataObjects(_ kind: DataObjectKind) async throws -> [SwarmDataObject]
    func dataObject(_ kind: DataObjectKind, _ ref: String) async throws -> SwarmDataObject
    /// Labels only (as Docker); `version` must match the object's.
    func updateDataObject(_ kind: DataObjectKind, _ ref: String, version: UInt64, spec: DataObjectSpec) async throws
    /// Refused while a service uses the object.
    func removeDataObject(_ kind: DataObjectKind, _ ref: String) async throws
}

/// `/swarm/…` and `/nodes/…`. A node outside a swarm, or a worker asked a manager-only question, answers with
/// Docker's 503 "This node is not a swarm manager…" (ShoalError.unavailable).
public protocol SwarmBackend: Sendable {
    /// Returns the new node's ID.
    func initSwarm(_ request: SwarmInitRequest) async throws -> String
    func joinSwarm(_ request: SwarmJoinRequest) async throws
    func leaveSwarm(force: Bool) async throws
    func inspectSwarm() async throws -> SwarmInfo
    /// `version` must match the cluster's (optimistic concurrency, as Docker).
    func updateSwarm(version: UInt64, spec: SwarmSpec, rotateWorkerToken: Bool, rotateManagerToken: Bool) async throws
    /// `rotateManagerUnlockKey` makes a new unlock key while autolock is on (ignored otherwise, as swarmkit).
    func updateSwarm(version: UInt64, spec: SwarmSpec, rotateWorkerToken: Bool, rotateManagerToken: Bool,
                     rotateManagerUnlockKey: Bool) async throws
    /// `GET /swarm/unlockkey`: the manager unlock key (`SWMKEY-1-…`), empty while autolock is off.
    func swarmUnlockKey() async throws -> String
    /// `POST /swarm/unlock`: starts a locked manager with its unlock key.
    func unlockSwarm(key: String) async throws
    func localSwarmState() async -> LocalSwarmState
    func listNodes() async throws -> [SwarmNode]
    func node(_ ref: String) async throws -> SwarmNode
    func updateNode(_ ref: String, version: UInt64, spec: NodeSpec) async throws
    func removeNode(_ ref: String, force: Bool) async throws
    /// `shoal credentials`: a user certificate for `csrPEM` from the cluster's CA (managers only).
    func issueUserCredentials(csrPEM: String, name: String) async throws -> IssuedCredentials
    /// `shoal credentials --revoke`: the bundle's certificate is refused from now on; returns its user name.
    func revokeUserCredentials(certificatePEM: String) async throws -> String
}

extension SwarmBackend {
    /// Backends without autolock: no key to rotate, none to show, never locked.
    public func updateSwarm(version: UInt64, spec: SwarmSpec, rotateWorkerToken: Bool, rotateManagerToken: Bool,
                            rotateManagerUnlockKey: Bool) async throws {
        try await updateSwarm(version: version, spec: spec, rotateWorkerToken: rotateWorkerToken,
                              rotateManagerToken: rotateManagerToken)
    }

    public func swarmUnlockKey() async throws -> String {
        _ = try await inspectSwarm()
        return ""
    }

    public func unlockSwarm(key: String) async throws {
        _ = try await inspectSwarm()
        throw ShoalError(.conflict, "swarm is not locked")
    }

    public func issueUserCredentials(csrPEM: String, name: String) async throws -> IssuedCredentials {
        throw ShoalError(.unavailable, "this node cannot issue credentials")
    }

    public func revokeUserCredentials(certificatePEM: String) async throws -> String {
        throw ShoalError(.unavailable, "this node cannot revoke credentials")
    }
}

/// A credentials bundle's certificates as a manager issues them, with the cluster endpoint's URLs
/// (`tcp://MANAGER:2376`, this manager first).
public struct IssuedCredentials: Sendable, Equatable {
    public var certificatePEM: String
    public var caCertificatePEM: String
    public var endpoints: [String]

    public init(certificatePEM: String, caCertificatePEM: String, endpoints: [String]) {
        self.certificatePEM = certificatePEM
        self.caCertificatePEM = caCertificatePEM
        self.endpoints = endpoints
    }
}
