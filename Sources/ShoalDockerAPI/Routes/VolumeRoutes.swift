import Foundation
import Hummingbird
import ShoalModel

/// `/volumes/…` with the local driver.
struct VolumeRoutes<Context: RequestContext> {
    let backends: DockerBackends
    var volumes: any VolumeBackend { backends.volumes }

    func add(to router: Router<Context>) {
        let group = router.group("volumes")
        group.get("") { request, _ in try await list(request) }
        group.post("create") { request, context in
            let body = try await Wire.decode(VolumeCreateBody.self, from: request, context: context, allowEmpty: true)
            let record = try await volumes.createVolume(
                name: body?.Name.flatMap { $0.isEmpty ? nil : $0 }, driver: body?.Driver,
                labels: body?.Labels ?? [:], options: body?.DriverOpts ?? [:])
            return Wire.json(record.wire(), status: .created)
        }
        group.post("prune") { request, _ in
            let filters = try Query(request).filters()
            try filters.validate(accepting: ["label", "all"])
            let all = filters["all"].first.map { $0 == "true" || $0 == "1" } ?? false
            let result = try await volumes.pruneVolumes(all: all, labels: filters["label"])
            return Wire.json(PruneVolumesWire(VolumesDeleted: result.deleted, SpaceReclaimed: result.spaceReclaimed))
        }
        group.get(":name") { _, context in
            Wire.json(try await volumes.volume(try context.parameters.require("name")).wire())
        }
        group.delete(":name") { request, context in
            try await volumes.removeVolume(try context.parameters.require("name"), force: Query(request).bool("force"))
            return Response(status: .noContent)
        }
    }

    private func list(_ request: Request) async throws -> Response {
        let filters = try Query(request).filters()
        try filters.validate(accepting: ["name", "label", "dangling", "driver"])
        var list = try await volumes.listVolumes()
        if let dangling = filters["dangling"].first {
            let usage = try await volumes.volumeUsage()
            let wantDangling = dangling == "true" || dangling == "1"
            list = list.filter { (usage[$0.name] ?? 0 == 0) == wantDangling }
        }
        list = list.filter { volume in
            (filters["name"].isEmpty || filters["name"].contains { volume.name.contains($0) })
                && (filters["driver"].isEmpty || filters["driver"].contains(volume.driver))
                && filters.matchLabels(volume.labels)
        }
        return Wire.json(VolumeListWire(Volumes: list.sorted { $0.name < $1.name }.map { $0.wire() }, Warnings: []))
    }
}

struct PruneVolumesWire: Encodable, Sendable {
    var VolumesDeleted: [String]
    var SpaceReclaimed: Int64
}
