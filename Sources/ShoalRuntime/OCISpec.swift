import ShoalCore

/// OCI runtime spec (config.json) as runc 1.1 reads it: only the fields Shoal sets. Keys follow the spec.
public struct OCISpec: Codable, Sendable, Equatable {
    public var ociVersion: String = "1.0.2-dev"
    public var process: OCIProcess
    public var root: Root
    public var hostname: String?
    public var mounts: [Mount] = []
    public var linux: Linux

    public init(process: OCIProcess, root: Root, hostname: String? = nil, mounts: [Mount] = [], linux: Linux) {
        self.process = process
        self.root = root
        self.hostname = hostname
        self.mounts = mounts
        self.linux = linux
    }

    public struct Root: Codable, Sendable, Equatable {
        public var path: String
        public var readonly: Bool?
        public init(path: String, readonly: Bool? = nil) {
            self.path = path
            self.readonly = readonly
        }
    }

    public struct Mount: Codable, Sendable, Equatable {
        public var destination: String
        public var type: String?
        public var source: String?
        public var options: [String]?
        public init(destination: String, type: String?, source: String?, options: [String]?) {
            self.destination = destination
            self.type = type
            self.source = source
            self.options = options
        }
    }

    public struct Linux: Codable, Sendable, Equatable {
        public var namespaces: [Namespace] = []
        public var resources: Resources?
        public var cgroupsPath: String?
        public var devices: [Device]?
        public var sysctl: [String: String]?
        public var maskedPaths: [String]?
        public var readonlyPaths: [String]?
        public var seccomp: Seccomp?
        /// A user namespace's ids (with a `user` namespace in `namespaces`).
        public var uidMappings: [IDMap]?
        public var gidMappings: [IDMap]?
        /// `shared`, `rslave` … for the container's root (nil: runc's default).
        public var rootfsPropagation: String?
        public init() {}
    }

    /// `{containerID, hostID, size}`: the spec's keys are the mapping's own.
    public typealias IDMap = IDMapping.Range

    public struct Namespace: Codable, Sendable, Equatable {
        public var type: String
        public var path: String?
        public init(type: String, path: String? = nil) {
            self.type = type
            self.path = path
        }
    }

    public struct Device: Codable, Sendable, Equatable {
        public var path: String
        public var type: String
        public var major: Int64
        public var minor: Int64
        public var fileMode: UInt32?
        public var uid: UInt32?
        public var gid: UInt32?
        public init(path: String, type: String, major: Int64, minor: Int64, fileMode: UInt32?, uid: UInt32?, gid: UInt32?) {
            self.path = path
            self.type = type
            self.major = major
            self.minor = minor
            self.fileMode = fileMode
            self.uid = uid
            self.gid = gid
        }
    }

    public struct DeviceRule: Codable, Sendable, Equatable {
        public var allow: Bool
        public var type: String?
        public var major: Int64?
        public var minor: Int64?
        public var access: String?
        public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String? = "rwm") {
            self.allow = allow
            self.type = type
            self.major = major
            self.minor = minor
            self.access = access
        }
    }

    public struct Resources: Codable, Sendable, Equatable {
        public var devices: [DeviceRule]?
        public var memory: Memory?
        public var cpu: CPU?
        public var pids: Pids?
        public init() {}
    }

    public struct Memory: Codable, Sendable, Equatable {
        public var limit: Int64?
        public var reservation: Int64?
        public var swap: Int64?
        public init(limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil) {
            self.limit = limit
            self.reservation = reservation
            self.swap = swap
        }
    }

    public struct CPU: Codable, Sendable, Equatable {
        public var shares: UInt64?
        public var quota: Int64?
        public var period: UInt64?
        public var cpus: String?
        public var mems: String?
        public init(shares: UInt64? = nil, quota: Int64? = nil, period: UInt64? = nil, cpus: String? = nil,
                    mems: String? = nil) {
            self.shares = shares
            self.quota = quota
            self.period = period
            self.cpus = cpus
            self.mems = mems
        }
    }

    public struct Pids: Codable, Sendable, Equatable {
        public var limit: Int64
        public init(limit: Int64) { self.limit = limit }
    }
}

/// The process part of the spec; also what `runc exec --process` reads for `docker exec`.
public struct OCIProcess: Codable, Sendable, Equatable {
    public var terminal: Bool?
    public var consoleSize: ConsoleSize?
    public var user: User
    public var args: [String]
    public var env: [String]
    public var cwd: String
    public var capabilities: Capabilities?
    public var rlimits: [Rlimit]?
    public var noNewPrivileges: Bool?
    public var oomScoreAdj: Int?
    public var apparmorProfile: String?

    public init(terminal: Bool? = nil, user: User, args: [String], env: [String], cwd: String,
                capabilities: Capabilities? = nil, rlimits: [Rlimit]? = nil, noNewPrivileges: Bool? = nil) {
        self.terminal = terminal
        self.user = user
        self.args = args
        self.env = env
        self.cwd = cwd
        self.capabilities = capabilities
        self.rlimits = rlimits
        self.noNewPrivileges = noNewPrivileges
    }

    public struct ConsoleSize: Codable, Sendable, Equatable {
        public var height: UInt
        public var width: UInt
        public init(height: UInt, width: UInt) {
            self.height = height
            self.width = width
        }
    }

    public struct User: Codable, Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var additionalGids: [UInt32]?
        public init(uid: UInt32, gid: UInt32, additionalGids: [UInt32]? = nil) {
            self.uid = uid
            self.gid = gid
            self.additionalGids = additionalGids
        }
    }

    public struct Capabilities: Codable, Sendable, Equatable {
        public var bounding: [String]?
        public var effective: [String]?
        public var inheritable: [String]?
        public var permitted: [String]?
        public var ambient: [String]?
        /// Docker ≥ 23 sets bounding, effective and permitted; inheritable and ambient stay empty (CVE-2022-24769).
        public init(_ caps: [String]) {
            bounding = caps
            effective = caps
            permitted = caps
        }
    }

    public struct Rlimit: Codable, Sendable, Equatable {
        public var type: String
        public var hard: UInt64
        public var soft: UInt64
        public init(type: String, hard: UInt64, soft: UInt64) {
            self.type = type
            self.hard = hard
            self.soft = soft
        }
    }
}
