import Foundation
import ShoalModel

/// The API version Shoal speaks, and the oldest one it accepts (as Docker 20.10).
enum APIVersion {
    static let current = "1.41"
    static let minimum = "1.12"
    static let engineVersion = "20.10.99-shoal"
}

struct VersionWire: Encodable, Sendable {
    struct PlatformWire: Encodable, Sendable { var Name: String }
    struct Component: Encodable, Sendable {
        var Name: String
        var Version: String
        var Details: [String: String]
    }
    var Platform: PlatformWire
    var Components: [Component]
    var Version: String
    var ApiVersion: String
    var MinAPIVersion: String
    var GitCommit: String
    var GoVersion: String
    var Os: String
    var Arch: String
    var KernelVersion: String
    var BuildTime: String
}

struct InfoWire: Encodable, Sendable {
    struct Runtime: Encodable, Sendable { var path: String }
    struct Commit: Encodable, Sendable {
        var ID: String
        var Expected: String
    }
    struct RegistryWire: Encodable, Sendable {
        var InsecureRegistryCIDRs: [String]
        var IndexConfigs: [String: IndexConfig]
        var Mirrors: [String]
    }
    /// A registry named by `--insecure-registry HOST[:PORT]` (Docker lists those here, `Secure` false).
    struct IndexConfig: Encodable, Sendable {
        var Name: String
        var Mirrors: [String]
        var Secure: Bool
        var Official: Bool
    }
    var ID: String
    var Containers: Int
    var ContainersRunning: Int
    var ContainersPaused: Int
    var ContainersStopped: Int
    var Images: Int
    var Driver: String
    var DriverStatus: [[String]]
    var Plugins: [String: [String]]
    var MemoryLimit: Bool
    var SwapLimit: Bool
    var KernelMemory: Bool
    var CpuCfsPeriod: Bool
    var CpuCfsQuota: Bool
    var CPUShares: Bool
    var CPUSet: Bool
    var PidsLimit: Bool
    var IPv4Forwarding: Bool
    var BridgeNfIptables: Bool
    var BridgeNfIp6tables: Bool
    var Debug: Bool
    var NFd: Int
    var OomKillDisable: Bool
    var NGoroutines: Int
    var SystemTime: String
    var LoggingDriver: String
    var CgroupDriver: String
    var CgroupVersion: String
    var NEventsListener: Int
    var KernelVersion: String
    var OperatingSystem: String
    var OSVersion: String
    var OSType: String
    var Architecture: String
    var IndexServerAddress: String
    var RegistryConfig: RegistryWire
    var NCPU: Int
    var MemTotal: Int64
    var DockerRootDir: String
    var HttpProxy: String
    var HttpsProxy: String
    var NoProxy: String
    var Name: String
    var Labels: [String]
    var ExperimentalBuild: Bool
    var ServerVersion: String
    var Runtimes: [String: Runtime]
    var DefaultRuntime: String
    var Swarm: InfoSwarmWire
    var LiveRestoreEnabled: Bool
    var Isolation: String
    var InitBinary: String
    var ContainerdCommit: Commit
    var RuncCommit: Commit
    var InitCommit: Commit
    var SecurityOptions: [String]
    var Warnings: [String]?
}

extension SystemInfo {
    var versionWire: VersionWire {
        let details = ["ApiVersion": APIVersion.current, "MinAPIVersion": APIVersion.minimum,
                       "Os": "linux", "Arch": architectureGo, "KernelVersion": kernelVersion]
        return VersionWire(
            Platform: .init(Name: "Shoal Engine"),
            Components: [.init(Name: "Engine", Version: serverVersion, Details: details),
                         .init(Name: "runc", Version: runtimeName, Details: [:])],
            Version: serverVersion, ApiVersion: APIVersion.current, MinAPIVersion: APIVersion.minimum,
            GitCommit: "shoal", GoVersion: "swift6", Os: "linux", Arch: architectureGo,
            KernelVersion: kernelVersion, BuildTime: Wire.zeroTime)
    }

    /// Docker (Go) names amd64 and arm64 where uname says x86_64 and aarch64.
    var architectureGo: String {
        switch architecture {
        case "x86_64": "amd64"
        case "aarch64": "arm64"
        default: architecture
        }
    }

    func infoWire(swarm: LocalSwarmState) -> InfoWire {
        InfoWire(
            ID: id, Containers: containers, ContainersRunning: containersRunning, ContainersPaused: containersPaused,
            ContainersStopped: containersStopped, Images: images, Driver: storageDriver,
            DriverStatus: [["Backing Filesystem", "extfs"], ["Supports d_type", "true"]],
            Plugins: ["Volume": ["local"], "Network": ["host", "null"], "Log": LogConfig.drivers],
            MemoryLimit: true, SwapLimit: false, KernelMemory: false, CpuCfsPeriod: true, CpuCfsQuota: true,
            CPUShares: true, CPUSet: true, PidsLimit: true, IPv4Forwarding: true, BridgeNfIptables: true,
            BridgeNfIp6tables: true, Debug: false, NFd: 0, OomKillDisable: false, NGoroutines: 0,
            SystemTime: Wire.rfc3339Nano(Date()), LoggingDriver: LogConfig.defaultDriver, CgroupDriver: cgroupDriver,
            CgroupVersion: cgroupVersion, NEventsListener: 0, KernelVersion: kernelVersion,
            OperatingSystem: operatingSystem, OSVersion: "", OSType: osType, Architecture: architecture,
            IndexServerAddress: "https://index.docker.io/v1/",
            RegistryConfig: .init(InsecureRegistryCIDRs: insecureRegistryCIDRs, IndexConfigs: Dictionary(
                insecureRegistryHosts.map { ($0, .init(Name: $0, Mirrors: [], Secure: false, Official: false)) },
                uniquingKeysWith: { first, _ in first }), Mirrors: []),
            NCPU: cpus, MemTotal: memoryBytes, DockerRootDir: rootDir, HttpProxy: "", HttpsProxy: "", NoProxy: "",
            Name: name, Labels: labels, ExperimentalBuild: false, ServerVersion: serverVersion,
            Runtimes: ["runc": .init(path: runtimeName)], DefaultRuntime: "runc",
            Swarm: swarm.infoWire,
            LiveRestoreEnabled: true, Isolation: "", InitBinary: initBinary,
            ContainerdCommit: .init(ID: "", Expected: ""), RuncCommit: .init(ID: "", Expected: ""),
            InitCommit: .init(ID: "", Expected: ""), SecurityOptions: securityOptions, Warnings: nil)
    }
}

struct VolumeWire: Encodable, Sendable {
    struct UsageDataWire: Encodable, Sendable {
        var Size: Int64
        var RefCount: Int
    }
    var Name: String
    var Driver: String
    var Mountpoint: String
    var CreatedAt: String
    var Labels: [String: String]
    var Scope: String
    var Options: [String: String]
    var UsageData: UsageDataWire?
}

struct VolumeListWire: Encodable, Sendable {
    var Volumes: [VolumeWire]
    var Warnings: [String]
}

struct VolumeCreateBody: Decodable, Sendable {
    var Name: String?
    var Driver: String?
    var DriverOpts: [String: String]?
    var Labels: [String: String]?
}

extension VolumeRecord {
    func wire(usage: DiskUsage.VolumeUsage? = nil) -> VolumeWire {
        VolumeWire(
            Name: name, Driver: driver, Mountpoint: mountpoint, CreatedAt: Wire.rfc3339Nano(created), Labels: labels,
            Scope: "local", Options: options,
            UsageData: usage.map { .init(Size: $0.size, RefCount: $0.refCount) })
    }
}

struct EventWire: Encodable, Sendable {
    struct ActorWire: Encodable, Sendable {
        var ID: String
        var Attributes: [String: String]
    }
    var status: String?
    var id: String?
    var from: String?
    var `Type`: String
    var Action: String
    var Actor: ActorWire
    var scope: String
    var time: Int64
    var timeNano: Int64

    init(_ event: EngineEvent) {
        // The legacy status/id/from fields are present for containers and images only, as in Docker.
        if event.kind == .container || event.kind == .image {
            status = event.action
            id = event.actorID
            from = event.attributes["image"]
        }
        Type = event.kind.rawValue
        Action = event.action
        Actor = .init(ID: event.actorID, Attributes: event.attributes)
        scope = "local"
        time = event.timeNano / 1_000_000_000
        timeNano = event.timeNano
    }
}

struct DiskUsageWire: Encodable, Sendable {
    var LayersSize: Int64
    var Images: [ImageSummaryWire]
    var Containers: [ContainerSummaryWithSize]
    var Volumes: [VolumeWire]
    var BuildCache: [Empty]
}

struct ContainerSummaryWithSize: Encodable, Sendable {
    var summary: ContainerSummaryWire
    var SizeRw: Int64
    var SizeRootFs: Int64

    private enum CodingKeys: String, CodingKey { case SizeRw, SizeRootFs }

    func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(SizeRw, forKey: .SizeRw)
        try container.encode(SizeRootFs, forKey: .SizeRootFs)
    }
}
