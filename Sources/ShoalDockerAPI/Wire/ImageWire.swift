import Foundation
import ShoalModel

// Docker's image JSON (list, inspect, history, delete) and its conversion from ShoalModel.ImageInfo.

struct ImageSummaryWire: Encodable, Sendable {
    var Id: String
    var ParentId: String
    var RepoTags: [String]
    var RepoDigests: [String]
    var Created: Int64
    var Size: Int64
    var SharedSize: Int64
    var VirtualSize: Int64
    var Labels: [String: String]
    var Containers: Int
}

struct ImageConfigWire: Encodable, Sendable {
    var Hostname: String
    var Domainname: String
    var User: String
    var AttachStdin: Bool
    var AttachStdout: Bool
    var AttachStderr: Bool
    var ExposedPorts: [String: Empty]?
    var Tty: Bool
    var OpenStdin: Bool
    var StdinOnce: Bool
    var Env: [String]?
    var Cmd: [String]?
    var Image: String
    var Volumes: [String: Empty]?
    var WorkingDir: String
    var Entrypoint: [String]?
    var OnBuild: [String]?
    var Labels: [String: String]?
    var StopSignal: String?
    var Healthcheck: HealthcheckWire?
}

struct ImageInspectWire: Encodable, Sendable {
    struct RootFSWire: Encodable, Sendable {
        var `Type`: String
        var Layers: [String]
    }
    struct MetadataWire: Encodable, Sendable { var LastTagTime: String }
    var Id: String
    var RepoTags: [String]
    var RepoDigests: [String]
    var Parent: String
    var Comment: String
    var Created: String
    var Container: String
    var DockerVersion: String
    var Author: String
    var Config: ImageConfigWire
    var Architecture: String
    var Os: String
    var Size: Int64
    var VirtualSize: Int64
    var GraphDriver: GraphDriverWire
    var RootFS: RootFSWire
    var Metadata: MetadataWire
}

struct ImageHistoryWire: Encodable, Sendable {
    var Id: String
    var Created: Int64
    var CreatedBy: String
    var Tags: [String]?
    var Size: Int64
    var Comment: String
}

struct ImageDeleteWire: Encodable, Sendable {
    var Untagged: String?
    var Deleted: String?
}

extension ImageInfo {
    var summaryWire: ImageSummaryWire {
        ImageSummaryWire(
            Id: id, ParentId: parent, RepoTags: repoTags, RepoDigests: repoDigests,
            Created: Int64(created.timeIntervalSince1970), Size: size, SharedSize: sharedSize, VirtualSize: size,
            Labels: config.labels, Containers: containers)
    }

    var inspectWire: ImageInspectWire {
        let configWire = ImageConfigWire(
            Hostname: "", Domainname: "", User: config.user, AttachStdin: false, AttachStdout: false,
            AttachStderr: false,
            ExposedPorts: config.exposedPorts.isEmpty ? nil
                : Dictionary(uniqueKeysWithValues: config.exposedPorts.map { ($0, Empty()) }),
            Tty: false, OpenStdin: false, StdinOnce: false, Env: config.env, Cmd: config.cmd, Image: "",
            Volumes: config.volumes.isEmpty ? nil
                : Dictionary(uniqueKeysWithValues: config.volumes.map { ($0, Empty()) }),
            WorkingDir: config.workingDir, Entrypoint: config.entrypoint, OnBuild: nil, Labels: config.labels,
            StopSignal: config.stopSignal, Healthcheck: config.healthcheck.map(HealthcheckWire.init))
        return ImageInspectWire(
            Id: id, RepoTags: repoTags, RepoDigests: repoDigests, Parent: parent, Comment: comment,
            Created: Wire.rfc3339Nano(created), Container: "", DockerVersion: "", Author: author,
            Config: configWire, Architecture: architecture, Os: os, Size: size, VirtualSize: size,
            GraphDriver: GraphDriverWire(Name: "overlay", Data: nil),
            RootFS: .init(Type: "layers", Layers: layers), Metadata: .init(LastTagTime: Wire.zeroTime))
    }
}

extension ImageDeleteItem {
    var wire: ImageDeleteWire {
        switch self {
        case .untagged(let reference): ImageDeleteWire(Untagged: reference)
        case .deleted(let id): ImageDeleteWire(Deleted: id)
        }
    }
}

/// One message of the JSON progress stream that `docker pull/push/load` render.
struct ProgressWire: Encodable, Sendable {
    struct Detail: Encodable, Sendable {
        var current: Int64?
        var total: Int64?
    }
    struct ErrorDetail: Encodable, Sendable { var message: String }
    var id: String?
    var status: String?
    var stream: String?
    var progressDetail: Detail?
    var error: String?
    var errorDetail: ErrorDetail?

    init(_ message: ProgressMessage) {
        id = message.id
        status = message.status
        stream = message.stream
        if message.current != nil || message.total != nil {
            progressDetail = Detail(current: message.current, total: message.total)
        } else if message.status != nil {
            progressDetail = Detail()
        }
        error = message.error
        errorDetail = message.error.map { ErrorDetail(message: $0) }
    }
}
