import Foundation
import ShoalModel

// Docker's node JSON (api/types/swarm/node.go) and its one conversion to ShoalModel. Go's `omitempty` fields are
// optionals left nil when empty.

/// `swarm.NodeSpec`: Annotations (Name, Labels) flattened, then Role and Availability. The update body has
/// the same shape.
struct NodeSpecWire: Codable, Sendable {
    var Name: String?
    /// No omitempty in Go: always present.
    var Labels: [String: String]?
    var Role: String?
    var Availability: String?

    /// Docker's NodeSpecToGRPC: role and availability are required and matched case-insensitively.
    func spec() throws -> NodeSpec {
        guard let role = NodeRoleName(rawValue: (Role ?? "").lowercased()) else {
            throw DockerAPIError.badRequest("invalid Role: \"\(Role ?? "")\"")
        }
        guard let availability = NodeAvailability(rawValue: (Availability ?? "").lowercased()) else {
            throw DockerAPIError.badRequest("invalid Availability: \"\(Availability ?? "")\"")
        }
        var spec = NodeSpec(role: role)
        spec.name = Name ?? ""
        spec.labels = Labels ?? [:]
        spec.availability = availability
        return spec
    }
}

struct NodeDescriptionWire: Encodable, Sendable {
    struct PlatformWire: Encodable, Sendable {
        var Architecture: String?
        var OS: String?
    }
    struct ResourcesWire: Encodable, Sendable {
        var NanoCPUs: Int64?
        var MemoryBytes: Int64?
    }
    struct PluginWire: Encodable, Sendable {
        var `Type`: String?
        var Name: String?
    }
    struct EngineWire: Encodable, Sendable {
        var EngineVersion: String?
        var Labels: [String: String]?
        var Plugins: [PluginWire]?
    }
    var Hostname: String?
    var Platform: PlatformWire
    var Resources: ResourcesWire
    var Engine: EngineWire
    var TLSInfo: TLSInfoWire
}

struct NodeStatusWire: Encodable, Sendable {
    var State: String?
    var Message: String?
    var Addr: String?
}

struct ManagerStatusWire: Encodable, Sendable {
    var Leader: Bool?
    var Reachability: String?
    var Addr: String?
}

struct NodeWire: Encodable, Sendable {
    var ID: String
    var Version: ObjectVersionWire
    var CreatedAt: String
    var UpdatedAt: String
    var Spec: NodeSpecWire
    var Description: NodeDescriptionWire
    var Status: NodeStatusWire
    /// Managers only.
    var ManagerStatus: ManagerStatusWire?
}

extension SwarmNode {
    var wire: NodeWire {
        NodeWire(
            ID: id, Version: ObjectVersionWire(version), CreatedAt: Wire.rfc3339Nano(createdAt),
            UpdatedAt: Wire.rfc3339Nano(updatedAt),
            Spec: NodeSpecWire(Name: spec.name.omittedIfEmpty, Labels: spec.labels, Role: spec.role.rawValue,
                               Availability: spec.availability.rawValue),
            Description: NodeDescriptionWire(
                Hostname: description.hostname.omittedIfEmpty,
                Platform: .init(Architecture: description.architecture.omittedIfEmpty,
                                OS: description.os.omittedIfEmpty),
                Resources: .init(NanoCPUs: description.nanoCPUs == 0 ? nil : description.nanoCPUs,
                                 MemoryBytes: description.memoryBytes == 0 ? nil : description.memoryBytes),
                Engine: .init(EngineVersion: description.engineVersion.omittedIfEmpty,
                              Labels: description.engineLabels.isEmpty ? nil : description.engineLabels,
                              Plugins: description.plugins.isEmpty ? nil
                                  : description.plugins.map { .init(Type: $0.kind, Name: $0.name) }),
                TLSInfo: TLSInfoWire(trustRoot: trustRoot, issuer: issuer)),
            Status: NodeStatusWire(State: status.state.rawValue, Message: status.message.omittedIfEmpty,
                                   Addr: status.address.omittedIfEmpty),
            ManagerStatus: managerStatus.map {
                ManagerStatusWire(Leader: $0.leader ? true : nil, Reachability: $0.reachability.rawValue,
                                  Addr: $0.address.omittedIfEmpty)
            })
    }
}

extension String {
    /// Go's `omitempty` for strings.
    var omittedIfEmpty: String? { isEmpty ? nil : self }
}
