import Foundation

// Docker's container JSON: the create body (Config + HostConfig) and what inspect and list return.
// Property names are Docker's keys (see Wire.swift).

struct ContainerConfigWire: Codable, Sendable {
    var Hostname: String?
    var Domainname: String?
    var User: String?
    var AttachStdin: Bool?
    var AttachStdout: Bool?
    var AttachStderr: Bool?
    var ExposedPorts: [String: Empty]?
    var Tty: Bool?
    var OpenStdin: Bool?
    var StdinOnce: Bool?
    var Env: [String]?
    var Cmd: StringOrArray?
    var Image: String?
    var Volumes: [String: Empty]?
    var WorkingDir: String?
    var Entrypoint: StringOrArray?
    var OnBuild: [String]?
    var Labels: [String: String]?
    var StopSignal: String?
    var StopTimeout: Int?
    var Healthcheck: HealthcheckWire?
    var MacAddress: String?
}

/// `Config.Healthcheck` (durations in nanoseconds); Docker leaves out zero fields.
struct HealthcheckWire: Codable, Sendable {
    var Test: [String]?
    var Interval: Int64?
    var Timeout: Int64?
    var StartPeriod: Int64?
    var Retries: Int?
}

/// `State.Health` of a container that has a health check.
struct HealthWire: Encodable, Sendable {
    struct Result: Encodable, Sendable {
        var Start: String
        var End: String
        var ExitCode: Int
        var Output: String
    }
    var Status: String
    var FailingStreak: Int
    var Log: [Result]
}

struct NetworkingConfigWire: Codable, Sendable {
    var EndpointsConfig: [String: EndpointSettingsBody]?
}

struct ContainerCreateBody: Decodable, Sendable {
    var config: ContainerConfigWire
    var HostConfig: HostConfigWire?
    var NetworkingConfig: NetworkingConfigWire?

    private enum CodingKeys: String, CodingKey { case HostConfig, NetworkingConfig }

    init(from decoder: any Decoder) throws {
        // Config fields sit at the top level of the create body, beside HostConfig and NetworkingConfig.
        config = try ContainerConfigWire(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        HostConfig = try container.decodeIfPresent(HostConfigWire.self, forKey: .HostConfig)
        NetworkingConfig = try container.decodeIfPresent(NetworkingConfigWire.self, forKey: .NetworkingConfig)
    }
}

struct RestartPolicyWire: Codable, Sendable {
    var Name: String?
    var MaximumRetryCount: Int?
}

struct PortBindingWire: Codable, Sendable {
    var HostIp: String?
    var HostPort: String?
}

struct MountWire: Codable, Sendable {
    struct VolumeOptionsWire: Codable, Sendable {
        var NoCopy: Bool?
        var Labels: [String: String]?
    }
    struct TmpfsOptionsWire: Codable, Sendable {
        var SizeBytes: Int64?
        var Mode: UInt32?
    }
    struct BindOptionsWire: Codable, Sendable {
        var Propagation: String?
    }
    var `Type`: String?
    var Source: String?
    var Target: String?
    var ReadOnly: Bool?
    var VolumeOptions: VolumeOptionsWire?
    var TmpfsOptions: TmpfsOptionsWire?
    var BindOptions: BindOptionsWire?
}

struct HostConfigWire: Codable, Sendable {
    var Binds: [String]?
    var NetworkMode: String?
    var PortBindings: [String: [PortBindingWire]]?
    var RestartPolicy: RestartPolicyWire?
    var AutoRemove: Bool?
    var PublishAllPorts: Bool?
    var Privileged: Bool?
    var ReadonlyRootfs: Bool?
    var Init: Bool?
    var CapAdd: [String]?
    var CapDrop: [String]?
    var Dns: [String]?
    var DnsSearch: [String]?
    var DnsOptions: [String]?
    var ExtraHosts: [String]?
    var Tmpfs: [String: String]?
    var Mounts: [MountWire]?
    var ShmSize: Int64?
    var Sysctls: [String: String]?
    var Memory: Int64?
    var MemorySwap: Int64?
    var NanoCpus: Int64?
    var CpuShares: Int64?
    var PidsLimit: Int64?
    var LogConfig: LogConfigWire?
    var SecurityOpt: [String]?
    var MaskedPaths: [String]?
    var ReadonlyPaths: [String]?
    var PidMode: String?
    var UTSMode: String?
    var IpcMode: String?
    var CgroupnsMode: String?
    var UsernsMode: String?
    var GroupAdd: [String]?
    var CpusetCpus: String?
    var CpusetMems: String?
    var Runtime: String?
    var Isolation: String?
    var Devices: [DeviceMappingWire]?
    var DeviceCgroupRules: [String]?
    var VolumesFrom: [String]?
    var Links: [String]?
}

struct DeviceMappingWire: Codable, Sendable {
    var PathOnHost: String?
    var PathInContainer: String?
    var CgroupPermissions: String?
}

/// One entry of `GET /containers/{id}/changes`.
struct ChangeWire: Encodable, Sendable {
    var Path: String
    var Kind: Int
}

struct LogConfigWire: Codable, Sendable {
    var `Type`: String?
    var Config: [String: String]?
}

struct ContainerStateWire: Encodable, Sendable {
    var Status: String
    var Running: Bool
    var Paused: Bool
    var Restarting: Bool
    var OOMKilled: Bool
    var Dead: Bool
    var Pid: Int32
    var ExitCode: Int32
    var Error: String
    var StartedAt: String
    var FinishedAt: String
    var Health: HealthWire?
}

struct MountPointWire: Encodable, Sendable {
    var `Type`: String
    var Name: String?
    var Source: String
    var Destination: String
    var Driver: String?
    var Mode: String
    var RW: Bool
    var Propagation: String
}

struct GraphDriverWire: Encodable, Sendable {
    var Name: String
    var Data: [String: String]?
}

struct EndpointWire: Encodable, Sendable {
    var IPAMConfig: EndpointIPAMConfigWire?
    var Links: [String]?
    var Aliases: [String]?
    var NetworkID: String
    var EndpointID: String
    var Gateway: String
    var IPAddress: String
    var IPPrefixLen: Int
    var IPv6Gateway: String
    var GlobalIPv6Address: String
    var GlobalIPv6PrefixLen: Int
    var MacAddress: String
}

struct NetworkSettingsWire: Encodable, Sendable {
    var Bridge: String
    var SandboxID: String
    var HairpinMode: Bool
    var LinkLocalIPv6Address: String
    var LinkLocalIPv6PrefixLen: Int
    var Ports: [String: [PortBindingWire]?]
    var SandboxKey: String
    var EndpointID: String
    var Gateway: String
    var GlobalIPv6Address: String
    var GlobalIPv6PrefixLen: Int
    var IPAddress: String
    var IPPrefixLen: Int
    var IPv6Gateway: String
    var MacAddress: String
    var Networks: [String: EndpointWire]
}

struct ContainerInspectWire: Encodable, Sendable {
    var Id: String
    var Created: String
    var Path: String
    var Args: [String]
    var State: ContainerStateWire
    var Image: String
    var ResolvConfPath: String
    var HostnamePath: String
    var HostsPath: String
    var LogPath: String
    var Name: String
    var RestartCount: Int
    var Driver: String
    var Platform: String
    var MountLabel: String
    var ProcessLabel: String
    var AppArmorProfile: String
    var ExecIDs: [String]?
    var HostConfig: HostConfigWire
    var GraphDriver: GraphDriverWire
    var Mounts: [MountPointWire]
    var Config: ContainerConfigWire
    var NetworkSettings: NetworkSettingsWire
}

struct PortWire: Encodable, Sendable {
    var IP: String?
    var PrivatePort: Int
    var PublicPort: Int?
    var `Type`: String
}

struct ContainerSummaryWire: Encodable, Sendable {
    struct HostConfigSummary: Encodable, Sendable { var NetworkMode: String }
    struct NetworkSummary: Encodable, Sendable { var Networks: [String: EndpointWire] }
    var Id: String
    var Names: [String]
    var Image: String
    var ImageID: String
    var Command: String
    var Created: Int64
    var Ports: [PortWire]
    var Labels: [String: String]
    var State: String
    var Status: String
    var HostConfig: HostConfigSummary
    var NetworkSettings: NetworkSummary
    var Mounts: [MountPointWire]
}

/// The body of `POST /containers/{id}/update`.
struct ContainerUpdateWire: Decodable, Sendable {
    var Memory: Int64?
    var MemorySwap: Int64?
    var NanoCpus: Int64?
    var CpuShares: Int64?
    var CpusetCpus: String?
    var CpusetMems: String?
    var PidsLimit: Int64?
    var RestartPolicy: RestartPolicyWire?
}

/// `{"Warnings": …}`: what `POST /containers/{id}/update` answers.
struct WarningsWire: Encodable, Sendable {
    var Warnings: [String]?
}

/// `{"Id": …}`: what `POST /commit` answers.
struct IDResponseWire: Encodable, Sendable {
    var Id: String
}

struct ContainerCreateResponseWire: Encodable, Sendable {
    var Id: String
    var Warnings: [String]
}

struct WaitResponseWire: Encodable, Sendable {
    struct WaitError: Encodable, Sendable { var Message: String }
    var StatusCode: Int32
    var Error: WaitError?
}
