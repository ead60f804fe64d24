import Foundation

/// The container a service task runs (Docker's swarm `ContainerSpec`; the subset `docker service create` sets
/// today). Unlike the engine's `ContainerSpec`, the image is resolved on the node that runs the task.
public struct TaskContainerSpec: Codable, Sendable, Equatable {
    public var image: String
    public var labels: [String: String]
    /// Replaces the image's entrypoint (`--entrypoint`).
    public var command: [String]
    /// Replaces the image's cmd (the arguments after the image).
    public var args: [String]
    public var hostname: String
    public var env: [String]
    /// Working directory (`--workdir`).
    public var dir: String
    public var user: String
    public var groups: [String]
    public var tty: Bool
    public var openStdin: Bool
    public var readOnly: Bool
    public var mounts: [MountSpec]
    public var stopSignal: String
    /// Time a task gets between the stop signal and SIGKILL; nil: the engine's default (10 s).
    public var stopGracePeriod: TimeInterval?
    /// Extra `/etc/hosts` lines (`--host name:ip`), in Docker's "IP name…" order.
    public var hosts: [String]
    public var secrets: [SecretReference]
    public var configs: [ConfigReference]
    public var initProcess: Bool?
    public var sysctls: [String: String]
    public var capabilityAdd: [String]
    public var capabilityDrop: [String]
    /// `--health-cmd` and friends (nil: the image's check).
    public var healthcheck: HealthConfig?
    /// `--dns`, `--dns-search`, `--dns-option` (Docker's `DNSConfig`).
    public var dnsConfig: TaskDNSConfig? = nil

    public init(image: String, labels: [String: String] = [:], command: [String] = [], args: [String] = [],
                hostname: String = "", env: [String] = [], dir: String = "", user: String = "",
                groups: [String] = [], tty: Bool = false, openStdin: Bool = false, readOnly: Bool = false,
                mounts: [MountSpec] = [], stopSignal: String = "", stopGracePeriod: TimeInterval? = nil,
                hosts: [String] = [], secrets: [SecretReference] = [], configs: [ConfigReference] = [],
                initProcess: Bool? = nil, sysctls: [String: String] = [:], capabilityAdd: [String] = [],
                capabilityDrop: [String] = [], healthcheck: HealthConfig? = nil) {
        self.image = image
        self.labels = labels
        self.command = command
        self.args = args
        self.hostname = hostname
        self.env = env
        self.dir = dir
        self.user = user
        self.groups = groups
        self.tty = tty
        self.openStdin = openStdin
        self.readOnly = readOnly
        self.mounts = mounts
        self.stopSignal = stopSignal
        self.stopGracePeriod = stopGracePeriod
        self.hosts = hosts
        self.secrets = secrets
        self.configs = configs
        self.initProcess = initProcess
        self.sysctls = sysctls
        self.capabilityAdd = capabilityAdd
        self.capabilityDrop = capabilityDrop
        self.healthcheck = healthcheck
    }
}

/// Where a secret or config is written inside the container (Docker's `SecretReferenceFileTarget`): a file under
/// /run/secrets (secrets) or at an absolute path (configs), with its owner and mode.
public struct ReferenceFileTarget: Codable, Sendable, Equatable {
    public var name: String
    public var uid: String
    public var gid: String
    public var mode: UInt32

    /// Docker's defaults: owned by root, readable by all (0444).
    public init(name: String, uid: String = "0", gid: String = "0", mode: UInt32 = 0o444) {
        self.name = name
        self.uid = uid
        self.gid = gid
        self.mode = mode
    }
}

/// `--secret source=…,target=…` (Docker's `SecretReference`).
public struct SecretReference: Codable, Sendable, Equatable {
    public var file: ReferenceFileTarget
    public var secretID: String
    public var secretName: String

    public init(file: ReferenceFileTarget, secretID: String, secretName: String) {
        self.file = file
        self.secretID = secretID
        self.secretName = secretName
    }
}

/// `--config source=…,target=…` (Docker's `ConfigReference`, file target only).
public struct ConfigReference: Codable, Sendable, Equatable {
    public var file: ReferenceFileTarget
    public var configID: String
    public var configName: String

    public init(file: ReferenceFileTarget, configID: String, configName: String) {
        self.file = file
        self.configID = configID
        self.configName = configName
    }
}

/// A task's resolver settings (Docker's `ContainerSpec.DNSConfig`): its container's `--dns`, `--dns-search` and
/// `--dns-option`.
public struct TaskDNSConfig: Codable, Sendable, Equatable, Hashable {
    public var nameservers: [String]
    public var search: [String]
    public var options: [String]

    public init(nameservers: [String] = [], search: [String] = [], options: [String] = []) {
        self.nameservers = nameservers
        self.search = search
        self.options = options
    }
}
