import Foundation
import ShoalModel

// Docker's service JSON (api/types/swarm: service.go, task.go, container.go, network.go) for requests and answers.
// Go's `omitempty` fields are optionals left nil when empty; durations are Go's time.Duration (integer
// nanoseconds). The conversion to and from ShoalModel is in Service+Wire.swift.

struct ServiceSpecWire: Codable, Sendable {
    var Name: String?
    /// No omitempty in Go.
    var Labels: [String: String]?
    var TaskTemplate: TaskSpecWire?
    var Mode: ServiceModeWire?
    var UpdateConfig: UpdateConfigWire?
    var RollbackConfig: UpdateConfigWire?
    var EndpointSpec: EndpointSpecWire?
}

struct ServiceModeWire: Codable, Sendable {
    struct ReplicatedWire: Codable, Sendable {
        var Replicas: UInt64?
    }
    struct GlobalWire: Codable, Sendable {}

    var Replicated: ReplicatedWire?
    var Global: GlobalWire?

    init(Replicated: ReplicatedWire? = nil, Global: GlobalWire? = nil) {
        self.Replicated = Replicated
        self.Global = Global
    }

    /// Go matches JSON keys case-insensitively, and docker-py sends `{"replicated": {"Replicas": 2}}`.
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys {
            switch key.stringValue.lowercased() {
            case "replicated": Replicated = try container.decodeIfPresent(ReplicatedWire.self, forKey: key)
            case "global": Global = try container.decodeIfPresent(GlobalWire.self, forKey: key)
            default: continue
            }
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

struct TaskSpecWire: Codable, Sendable {
    var ContainerSpec: ContainerSpecWire?
    var Resources: ResourceRequirementsWire?
    var RestartPolicy: TaskRestartPolicyWire?
    var Placement: PlacementWire?
    var Networks: [NetworkAttachmentConfigWire]?
    var LogDriver: DriverWire?
    /// No omitempty in Go.
    var ForceUpdate: UInt64?
    var Runtime: String?
}

struct ContainerSpecWire: Codable, Sendable {
    var Image: String?
    var Labels: [String: String]?
    var Command: [String]?
    var Args: [String]?
    var Hostname: String?
    var Env: [String]?
    var Dir: String?
    var User: String?
    var Groups: [String]?
    var Init: Bool?
    var StopSignal: String?
    var TTY: Bool?
    var OpenStdin: Bool?
    var ReadOnly: Bool?
    /// Docker's mount.Mount, as for containers.
    var Mounts: [MountWire]?
    var StopGracePeriod: Int64?
    var Hosts: [String]?
    var Secrets: [SecretReferenceWire]?
    var Configs: [ConfigReferenceWire]?
    var Isolation: String?
    var Sysctls: [String: String]?
    var CapabilityAdd: [String]?
    var CapabilityDrop: [String]?
    var Healthcheck: HealthcheckWire?
    var DNSConfig: DNSConfigWire?
}

/// Docker's `ContainerSpec.DNSConfig`.
struct DNSConfigWire: Codable, Sendable {
    var Nameservers: [String]?
    var Search: [String]?
    var Options: [String]?
}

struct FileTargetWire: Codable, Sendable {
    var Name: String?
    var UID: String?
    var GID: String?
    var Mode: UInt32?
}

struct SecretReferenceWire: Codable, Sendable {
    var File: FileTargetWire?
    var SecretID: String?
    var SecretName: String?
}

struct ConfigReferenceWire: Codable, Sendable {
    var File: FileTargetWire?
    var ConfigID: String?
    var ConfigName: String?
}

struct ResourcesWire: Codable, Sendable {
    var NanoCPUs: Int64?
    var MemoryBytes: Int64?
    /// Limits only.
    var Pids: Int64?
}

struct ResourceRequirementsWire: Codable, Sendable {
    var Limits: ResourcesWire?
    var Reservations: ResourcesWire?
}

struct TaskRestartPolicyWire: Codable, Sendable {
    var Condition: String?
    var Delay: Int64?
    var MaxAttempts: UInt64?
    var Window: Int64?
}

struct PlacementWire: Codable, Sendable {
    struct PreferenceWire: Codable, Sendable {
        struct SpreadWire: Codable, Sendable {
            var SpreadDescriptor: String?
        }
        var Spread: SpreadWire?
    }
    struct PlatformWire: Codable, Sendable {
        var Architecture: String?
        var OS: String?
    }
    var Constraints: [String]?
    var Preferences: [PreferenceWire]?
    var MaxReplicas: UInt64?
    var Platforms: [PlatformWire]?
}

struct NetworkAttachmentConfigWire: Codable, Sendable {
    var Target: String?
    var Aliases: [String]?
    var DriverOpts: [String: String]?
}

struct DriverWire: Codable, Sendable {
    var Name: String?
    var Options: [String: String]?
}

struct UpdateConfigWire: Codable, Sendable {
    /// No omitempty in Go (nor for MaxFailureRatio and Order).
    var Parallelism: UInt64?
    var Delay: Int64?
    var FailureAction: String?
    var Monitor: Int64?
    var MaxFailureRatio: Double?
    var Order: String?
}

struct EndpointSpecWire: Codable, Sendable {
    var Mode: String?
    var Ports: [PortConfigWire]?
}

struct PortConfigWire: Codable, Sendable {
    var Name: String?
    var `Protocol`: String?
    var TargetPort: UInt32?
    var PublishedPort: UInt32?
    var PublishMode: String?
}

struct ServiceEndpointWire: Encodable, Sendable {
    struct VirtualIPWire: Encodable, Sendable {
        var NetworkID: String?
        var Addr: String?
    }
    var Spec: EndpointSpecWire
    var Ports: [PortConfigWire]?
    var VirtualIPs: [VirtualIPWire]?
}

struct ServiceWire: Encodable, Sendable {
    var ID: String
    var Version: ObjectVersionWire
    var CreatedAt: String
    var UpdatedAt: String
    var Spec: ServiceSpecWire
    var PreviousSpec: ServiceSpecWire?
    var Endpoint: ServiceEndpointWire
    /// Absent until the first rolling update or rollback.
    var UpdateStatus: UpdateStatusWire?
    /// Only when the list is asked for it (`GET /services?status=true`, API 1.41).
    var ServiceStatus: ServiceStatusWire?
}

struct UpdateStatusWire: Encodable, Sendable {
    var State: String?
    var StartedAt: String?
    var CompletedAt: String?
    var Message: String?
}

struct ServiceStatusWire: Encodable, Sendable {
    var RunningTasks: UInt64
    var DesiredTasks: UInt64
    var CompletedTasks: UInt64
}

struct TaskWire: Encodable, Sendable {
    struct StatusWire: Encodable, Sendable {
        struct ContainerStatusWire: Encodable, Sendable {
            var ContainerID: String?
            var PID: Int?
            var ExitCode: Int?
        }
        struct PortStatusWire: Encodable, Sendable {
            var Ports: [PortConfigWire]?
        }
        var Timestamp: String?
        var State: String?
        var Message: String?
        var Err: String?
        var ContainerStatus: ContainerStatusWire?
        var PortStatus: PortStatusWire
    }
    struct NetworkAttachmentWire: Encodable, Sendable {
        struct NetworkRefWire: Encodable, Sendable {
            var ID: String
        }
        var Network: NetworkRefWire
        var Addresses: [String]?
    }
    var ID: String
    var Version: ObjectVersionWire
    var CreatedAt: String
    var UpdatedAt: String
    /// No omitempty in Go.
    var Labels: [String: String]
    var Spec: TaskSpecWire
    var ServiceID: String?
    var Slot: Int?
    var NodeID: String?
    var Status: StatusWire
    var DesiredState: String?
    var NetworksAttachments: [NetworkAttachmentWire]?
}

struct ServiceCreateResponseWire: Encodable, Sendable {
    var ID: String
    /// Go's nil slice: `null`.
    var Warnings: [String]?

    enum CodingKeys: String, CodingKey { case ID, Warnings }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ID, forKey: .ID)
        try container.encode(Warnings, forKey: .Warnings)
    }
}

struct ServiceUpdateResponseWire: Encodable, Sendable {
    var Warnings: [String]?

    enum CodingKeys: String, CodingKey { case Warnings }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Warnings, forKey: .Warnings)
    }
}
