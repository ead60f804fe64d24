/// ShoalModel: the domain's value types (containers, volumes, events; later networks, nodes, services, tasks).
/// Plain Codable values with no I/O and no transport types: the Docker API converts its JSON to and from these at
/// its edge, the engine persists them.

/// What a user asked for when creating a container, after the API resolved its defaults. Fields left `nil`
/// fall back to the image's configuration at creation time.
public struct ContainerSpec: Codable, Sendable, Equatable {
    public var image: String
    public var cmd: [String]?
    public var entrypoint: [String]?
    public var env: [String]
    public var workingDir: String?
    public var user: String?
    public var hostname: String?
    /// `--mac-address`: the MAC of the container's interface on its first network (a local bridge network).
    public var macAddress: String? = nil
    public var domainname: String?
    public var labels: [String: String]
    public var tty: Bool
    public var openStdin: Bool
    public var stdinOnce: Bool
    public var attachStdin: Bool
    public var attachStdout: Bool
    public var attachStderr: Bool
    public var exposedPorts: [String]
    public var volumes: [String]
    public var stopSignal: String?
    public var stopTimeout: Int?
    public var host: HostSpec
    /// Networks to join besides (or as) `host.networkMode`, by name or ID, with their aliases and addresses
    /// (Docker's `NetworkingConfig.EndpointsConfig`).
    public var networks: [String: EndpointRequest]
    /// `Config.Healthcheck` as given (nil: the image's).
    public var healthcheck: HealthConfig?

    public init(image: String) {
        self.image = image
        env = []
        labels = [:]
        tty = false
        openStdin = false
        stdinOnce = false
        attachStdin = false
        attachStdout = false
        attachStderr = false
        exposedPorts = []
        volumes = []
        host = HostSpec()
        networks = [:]
    }
}

/// The host-side part of a container's configuration (Docker's HostConfig).
public struct HostSpec: Codable, Sendable, Equatable {
    public var binds: [String] = []
    public var mounts: [MountSpec] = []
    public var tmpfs: [String: String] = [:]
    /// `default` (the default bridge), `bridge`, `none`, `host`, or a network name or ID.
    public var networkMode: String = "default"
    public var restartPolicy: RestartPolicy = .init()
    public var autoRemove: Bool = false
    public var memory: Int64 = 0
    public var memorySwap: Int64 = 0
    public var nanoCPUs: Int64 = 0
    public var cpuShares: Int64 = 0
    public var pidsLimit: Int64? = nil
    public var readonlyRootfs: Bool = false
    public var privileged: Bool = false
    public var initProcess: Bool? = nil
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var shmSize: Int64 = 0
    public var dns: [String] = []
    /// `--dns-search` and `--dns-option` (optional so records written before them still decode).
    public var dnsSearch: [String]? = nil
    public var dnsOptions: [String]? = nil
    public var extraHosts: [String] = []
    public var sysctls: [String: String] = [:]
    public var portBindings: [String: [PortBinding]] = [:]
    public var publishAllPorts: Bool = false
    /// `--security-opt` as given (seccomp profiles as their JSON); nil when none. Optional, like the two below,
    /// so records written before these fields existed still decode.
    public var securityOpt: [String]? = nil
    /// Paths masked and read-only in the container: Docker's defaults filled in at create (unless privileged),
    /// empty lists for `--security-opt systempaths=unconfined`.
    public var maskedPaths: [String]? = nil
    public var readonlyPaths: [String]? = nil
    /// `--pid`, `--uts`, `--ipc` and `--cgroupns` as given (nil: Docker's defaults; see NamespaceMode).
    public var pidMode: String? = nil
    public var utsMode: String? = nil
    public var ipcMode: String? = nil
    public var cgroupnsMode: String? = nil
    /// `--userns`: nil (the daemon's remapping, if any) or `host` (none for this container).
    public var usernsMode: String? = nil
    /// `--group-add`: group names (looked up in the image) or numbers.
    public var groupAdd: [String]? = nil
    /// `--cpuset-cpus` and `--cpuset-mems` (`0-2,4`).
    public var cpusetCpus: String? = nil
    public var cpusetMems: String? = nil
    /// `--device HOST[:CONTAINER[:PERMISSIONS]]` and `--device-cgroup-rule 'c 1:3 rwm'`.
    public var devices: [DeviceMapping]? = nil
    public var deviceCgroupRules: [String]? = nil
    /// `--volumes-from CONTAINER[:ro|rw]`.
    public var volumesFrom: [String]? = nil
    /// `--link` on the default bridge (legacy links), targets resolved to IDs at create.
    public var links: [ContainerLink]? = nil
    /// `--log-driver` and `--log-opt` as given (nil in records written before them: json-file, no options).
    public var logConfig: LogConfig? = nil

    public init() {}
}

/// One `--device`: a device node of the host (or every one under a directory) made in the container.
public struct DeviceMapping: Codable, Sendable, Equatable {
    public var pathOnHost: String
    public var pathInContainer: String
    /// Some of r, w and m.
    public var cgroupPermissions: String

    public init(pathOnHost: String, pathInContainer: String, cgroupPermissions: String) {
        self.pathOnHost = pathOnHost
        self.pathInContainer = pathInContainer
        self.cgroupPermissions = cgroupPermissions
    }
}

public struct PortBinding: Codable, Sendable, Equatable {
    public var hostIP: String
    public var hostPort: String
    public init(hostIP: String = "", hostPort: String = "") {
        self.hostIP = hostIP
        self.hostPort = hostPort
    }
}

public struct RestartPolicy: Codable, Sendable, Equatable {
    public enum Name: String, Codable, Sendable {
        case no = ""
        case always
        case unlessStopped = "unless-stopped"
        case onFailure = "on-failure"
    }

    public var name: Name
    public var maximumRetryCount: Int

    public init(name: Name = .no, maximumRetryCount: Int = 0) {
        self.name = name
        self.maximumRetryCount = maximumRetryCount
    }
}

/// A `--mount` or a `-v` after parsing: a bind of a host path, a named (or anonymous) volume, or a tmpfs.
public struct MountSpec: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case bind, volume, tmpfs }
    public var kind: Kind
    /// Host path for binds, volume name for volumes (empty for an anonymous volume), unused for tmpfs.
    public var source: String
    public var target: String
    public var readOnly: Bool
    /// tmpfs size in bytes (0 = unlimited) and mode.
    public var tmpfsSize: Int64
    public var tmpfsMode: UInt32?
    /// Extra mount options (`-v host:/path:ro,z` keeps its mode string here).
    public var mode: String
    /// A bind's `bind-propagation` (nil: Docker's default, rprivate).
    public var propagation: String? = nil

    /// The propagation modes Docker accepts for a bind on Linux.
    public static let propagationModes: Set<String> = ["private", "rprivate", "shared", "rshared", "slave", "rslave"]

    public init(kind: Kind, source: String, target: String, readOnly: Bool = false, tmpfsSize: Int64 = 0,
                tmpfsMode: UInt32? = nil, mode: String = "") {
        self.kind = kind
        self.source = source
        self.target = target
        self.readOnly = readOnly
        self.tmpfsSize = tmpfsSize
        self.tmpfsMode = tmpfsMode
        self.mode = mode
    }
}
