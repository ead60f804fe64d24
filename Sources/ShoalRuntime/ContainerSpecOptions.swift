import ShoalCore

/// What the engine knows about a container, in Docker's terms, for `SpecBuilder` to turn into an OCI spec.
/// Image defaults (entrypoint/cmd, env, workdir, user) are already merged into these fields by the engine.
public struct ContainerSpecOptions: Sendable, Equatable {
    public var id: String
    /// Absolute path of the root filesystem (e.g. the overlay mount point).
    public var rootfs: String
    /// Entrypoint + cmd, already resolved.
    public var args: [String]
    /// Image env then user env (`KEY=value`); PATH/HOSTNAME/TERM defaults are added by the builder like Docker.
    public var env: [String] = []
    public var workingDir: String = ""
    /// `name|uid[:group|gid]`; resolved against the rootfs's /etc/passwd and /etc/group.
    public var user: String = ""
    /// `--group-add`: extra group names or gids.
    public var groupAdd: [String] = []
    public var hostname: String = ""
    public var terminal: Bool = false
    public var readOnlyRootfs: Bool = false
    public var privileged: Bool = false
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var binds: [BindMount] = []
    /// `--tmpfs path[:opts]`: destination → options ("" for defaults).
    public var tmpfs: [String: String] = [:]
    /// /dev/shm size in bytes (Docker's default 64 MiB).
    public var shmSize: Int64 = 64 << 20
    /// `-m` in bytes.
    public var memory: Int64?
    /// `--memory-swap` in bytes (memory + swap), -1 unlimited; left unset when nil.
    public var memorySwap: Int64?
    public var memoryReservation: Int64?
    /// `--cpus` as a decimal (1.5 → quota 150000 / period 100000).
    public var cpus: Double?
    public var cpuShares: UInt64?
    public var cpusetCpus: String?
    /// `--pids-limit`; nil or ≤ 0 = unlimited.
    public var pidsLimit: Int64?
    public var network: NetworkMode = .none
    /// `--init`: bind-mount `initPath` as /sbin/docker-init and run it as pid 1 in front of the command.
    public var initProcess: Bool = false
    public var initPath: String = "/usr/bin/tini-static"
    public var sysctls: [String: String] = [:]
    /// `--ulimit`; replaces the default of the same type.
    public var ulimits: [OCIProcess.Rlimit] = []
    /// Parent of the cgroup (`/shoal` gives `/shoal/<id>` under each v1 controller).
    public var cgroupParent: String = "/shoal"
    public var noNewPrivileges: Bool = false
    /// The seccomp filter asked for (`--security-opt seccomp=…`); Docker's default profile unless told otherwise.
    public var seccomp: SecurityOptions.Seccomp = .builtin
    /// Paths hidden from the container and paths it sees read-only; nil means Docker's defaults (none when
    /// privileged), empty means none (`--security-opt systempaths=unconfined`).
    public var maskedPaths: [String]?
    public var readonlyPaths: [String]?
    /// `--security-opt apparmor=PROFILE`: a profile already loaded on the host instead of Docker's default one
    /// (`AppArmorProfile.choose`); where the kernel has no AppArmor, Docker accepts the option and applies nothing.
    public var appArmorProfile: String?
    /// The user namespace of a daemon with `--userns-remap` (nil: the host's, as with `--userns host`).
    public var userNamespace: IDMapping?
    /// A user namespace of that mapping to join (the one the sandbox's network namespace belongs to); nil: runc
    /// makes one.
    public var userNamespacePath: String?
    /// `--pid`, `--ipc`, `--uts` and `--cgroupns`, resolved by the engine (a donor container's namespace as a path).
    public var pidNamespace: Namespace = .own
    public var ipcNamespace: Namespace = .own
    public var utsNamespace: Namespace = .own
    /// The host's by default, as Docker on a cgroup v1 host.
    public var cgroupNamespace: Namespace = .host
    /// Where /dev/shm comes from (`--ipc`).
    public var sharedMemory: SharedMemory = .own
    /// `--cpuset-mems`.
    public var cpusetMems: String?
    /// `--device` nodes made in the container, and the device cgroup rules added to Docker's defaults for them and
    /// for `--device-cgroup-rule` (a privileged container has every device anyway).
    public var devices: [OCISpec.Device] = []
    public var deviceRules: [OCISpec.DeviceRule] = []

    public init(id: String, rootfs: String, args: [String]) {
        self.id = id
        self.rootfs = rootfs
        self.args = args
    }

    /// One kernel namespace of the container: its own, the host's (none in the spec), or one to join.
    public enum Namespace: Sendable, Equatable {
        case own
        case host
        /// e.g. /proc/PID/ns/pid of the donor container's process.
        case join(String)
    }

    /// The container's /dev/shm: its own tmpfs of `shmSize`, none (`--ipc none`), or a bind of a directory (the
    /// host's /dev/shm, or the donor container's through /proc/PID/root).
    public enum SharedMemory: Sendable, Equatable {
        case own
        case none
        case bind(String)
    }

    public enum NetworkMode: Sendable, Equatable {
        /// Join the namespace at this path (made by the network layer).
        case path(String)
        /// Share the host's network namespace.
        case host
        /// A new namespace with only `lo` (runc brings it up).
        case none
    }

    /// `-v host:/path[:ro]` and volumes (the engine resolves a volume to its host directory).
    public struct BindMount: Sendable, Equatable {
        public var source: String
        public var destination: String
        public var readOnly: Bool
        /// `rprivate` (Docker's default), `rshared`, `rslave` …
        public var propagation: String
        /// In a user namespace: the source mount's locked flags (`Mounts.lockedOptions`), kept on the bind.
        public var lockedOptions: [String] = []
        public init(source: String, destination: String, readOnly: Bool = false, propagation: String = "rprivate") {
            self.source = source
            self.destination = destination
            self.readOnly = readOnly
            self.propagation = propagation
        }

        /// Parses Docker's `-v` short form `host:/path[:ro|rw]`.
        public init(parsing spec: String) throws {
            let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 || parts.count == 3, parts[0].hasPrefix("/"), parts[1].hasPrefix("/") else {
                throw RuntimeErrors.invalid("invalid volume specification: '\(spec)'")
            }
            var readOnly = false
            if parts.count == 3 {
                for option in parts[2].split(separator: ",") {
                    switch option {
                    case "ro": readOnly = true
                    case "rw": readOnly = false
                    default: throw RuntimeErrors.invalid("invalid mode: \(option)")
                    }
                }
            }
            self.init(source: parts[0], destination: parts[1], readOnly: readOnly)
        }
    }
}
