import ShoalCore

/// An image's config blob: OCI image-spec config.md plus the fields Docker writes (`container_config`,
/// `container`, `docker_version`). Its sha256 is the image ID.
public struct ImageConfiguration: Codable, Hashable, Sendable {
    public var architecture: String
    public var os: String
    public var osVersion: String?
    public var variant: String?
    /// RFC 3339 time, kept as written so a re-encoded config keeps its meaning.
    public var created: String?
    public var author: String?
    public var config: ContainerConfig?
    public var containerConfig: ContainerConfig?
    public var container: String?
    public var dockerVersion: String?
    public var comment: String?
    public var history: [History]?
    public var rootfs: RootFS

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant, created, author, config, container, comment, history, rootfs
        case osVersion = "os.version"
        case containerConfig = "container_config"
        case dockerVersion = "docker_version"
    }

    public init(architecture: String = Platform.host.architecture, os: String = Platform.host.os,
                created: String? = nil, author: String? = nil, config: ContainerConfig? = nil,
                comment: String? = nil, history: [History]? = nil, rootfs: RootFS) {
        self.architecture = architecture
        self.os = os
        self.created = created
        self.author = author
        self.config = config
        self.comment = comment
        self.history = history
        self.rootfs = rootfs
    }

    public struct RootFS: Codable, Hashable, Sendable {
        public var type: String
        public var diffIDs: [Digest]

        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }

        public init(diffIDs: [Digest]) {
            type = "layers"
            self.diffIDs = diffIDs
        }
    }

    public struct History: Codable, Hashable, Sendable {
        public var created: String?
        public var createdBy: String?
        public var author: String?
        public var comment: String?
        public var emptyLayer: Bool?

        enum CodingKeys: String, CodingKey {
            case created, author, comment
            case createdBy = "created_by"
            case emptyLayer = "empty_layer"
        }

        public init(created: String? = nil, createdBy: String? = nil, author: String? = nil, comment: String? = nil,
                    emptyLayer: Bool? = nil) {
            self.created = created
            self.createdBy = createdBy
            self.author = author
            self.comment = comment
            self.emptyLayer = emptyLayer
        }
    }
}

/// `{}` — the value type of Docker's set-like maps (`ExposedPorts`, `Volumes`).
public struct EmptyObject: Codable, Hashable, Sendable {
    public init() {}
    public init(from decoder: any Decoder) throws { _ = try decoder.container(keyedBy: NoKeys.self) }
    public func encode(to encoder: any Encoder) throws { _ = encoder.container(keyedBy: NoKeys.self) }
    private enum NoKeys: CodingKey {}
}

/// The run defaults an image carries (Docker's `config` / `container_config`, OCI's `config`).
public struct ContainerConfig: Codable, Hashable, Sendable {
    public var hostname: String?
    public var domainname: String?
    public var user: String?
    public var attachStdin: Bool?
    public var attachStdout: Bool?
    public var attachStderr: Bool?
    public var exposedPorts: [String: EmptyObject]?
    public var tty: Bool?
    public var openStdin: Bool?
    public var stdinOnce: Bool?
    public var env: [String]?
    public var cmd: [String]?
    public var healthcheck: Healthcheck?
    public var argsEscaped: Bool?
    public var image: String?
    public var volumes: [String: EmptyObject]?
    public var workingDir: String?
    public var entrypoint: [String]?
    public var onBuild: [String]?
    public var labels: [String: String]?
    public var stopSignal: String?
    public var stopTimeout: Int?
    public var shell: [String]?

    enum CodingKeys: String, CodingKey {
        case hostname = "Hostname", domainname = "Domainname", user = "User", attachStdin = "AttachStdin"
        case attachStdout = "AttachStdout", attachStderr = "AttachStderr", exposedPorts = "ExposedPorts", tty = "Tty"
        case openStdin = "OpenStdin", stdinOnce = "StdinOnce", env = "Env", cmd = "Cmd", healthcheck = "Healthcheck"
        case argsEscaped = "ArgsEscaped", image = "Image", volumes = "Volumes", workingDir = "WorkingDir"
        case entrypoint = "Entrypoint", onBuild = "OnBuild", labels = "Labels", stopSignal = "StopSignal"
        case stopTimeout = "StopTimeout", shell = "Shell"
    }

    public init(user: String? = nil, exposedPorts: [String: EmptyObject]? = nil, env: [String]? = nil,
                cmd: [String]? = nil, healthcheck: Healthcheck? = nil, volumes: [String: EmptyObject]? = nil,
                workingDir: String? = nil, entrypoint: [String]? = nil, onBuild: [String]? = nil,
                labels: [String: String]? = nil, stopSignal: String? = nil) {
        self.user = user
        self.exposedPorts = exposedPorts
        self.env = env
        self.cmd = cmd
        self.healthcheck = healthcheck
        self.volumes = volumes
        self.workingDir = workingDir
        self.entrypoint = entrypoint
        self.onBuild = onBuild
        self.labels = labels
        self.stopSignal = stopSignal
    }
}

/// Docker's health check config; durations in nanoseconds.
public struct Healthcheck: Codable, Hashable, Sendable {
    public var test: [String]?
    public var interval: Int64?
    public var timeout: Int64?
    public var startPeriod: Int64?
    public var startInterval: Int64?
    public var retries: Int?

    enum CodingKeys: String, CodingKey {
        case test = "Test", interval = "Interval", timeout = "Timeout", startPeriod = "StartPeriod"
        case startInterval = "StartInterval", retries = "Retries"
    }

    public init(test: [String]?, interval: Int64? = nil, timeout: Int64? = nil, startPeriod: Int64? = nil,
                retries: Int? = nil) {
        self.test = test
        self.interval = interval
        self.timeout = timeout
        self.startPeriod = startPeriod
        self.retries = retries
    }
}
