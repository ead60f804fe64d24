import Foundation
import Hummingbird
import ShoalModel

/// `/secrets/…` or `/configs/…` (Docker's swarm router, cluster_routes.go): one collection per resource, the two
/// resources being Docker's twins (`DataObjectRoutes(kind: .secret)` and `(kind: .config)`). Whether this node may
/// answer (a manager of a swarm) is the backend's call; as in Docker, it is asked before the filters are checked.
struct DataObjectRoutes<Context: RequestContext> {
    let backends: DockerBackends
    let kind: DataObjectKind
    var objects: any DataObjectBackend { backends.dataObjects }

    func add(to router: Router<Context>) {
        let group = router.group(RouterPath("\(kind.rawValue)s"))
        group.get("") { request, _ in try await list(request) }
        group.post("create") { request, context in
            let body = try await SwarmRequest.body(DataObjectSpecWire.self, from: request, context: context)
            let id = try await objects.createDataObject(kind, spec: body.spec(kind))
            return Wire.json(DataObjectCreateResponseWire(ID: id), status: .created)
        }
        group.get(":id") { _, context in
            Wire.json(try await objects.dataObject(kind, try context.parameters.require("id")).wire)
        }
        group.post(":id/update") { request, context in
            let body = try await SwarmRequest.body(DataObjectSpecWire.self, from: request, context: context)
            // The daemon's own words for a missing or malformed version (not strconv's, as for services).
            guard let version = Query(request)["version"].flatMap({ UInt64($0) }) else {
                throw DockerAPIError.badRequest("invalid \(kind) version")
            }
            try await objects.updateDataObject(kind, try context.parameters.require("id"), version: version,
                                               spec: body.spec(kind))
            return Response(status: .ok)
        }
        group.delete(":id") { _, context in
            try await objects.removeDataObject(kind, try context.parameters.require("id"))
            return Response(status: .noContent)
        }
    }

    /// The daemon's filters (newListSecretsFilters, newListConfigsFilters): `names` (secrets only) is an exact name,
    /// `name` and `id` are prefixes, `label` needs the label (and its value when given).
    private func list(_ request: Request) async throws -> Response {
        let filters = try Query(request).filters()
        let all = try await objects.listDataObjects(kind)
        try filters.validate(accepting: kind == .secret ? ["names", "name", "id", "label"] : ["name", "id", "label"])
        let matching = all.filter { object in
            (filters["names"].isEmpty || filters["names"].contains(object.spec.name))
                && (filters["name"].isEmpty || filters["name"].contains { object.spec.name.hasPrefix($0) })
                && (filters["id"].isEmpty || filters["id"].contains { object.id.hasPrefix($0) })
                && NodeRoutes<Context>.matchLabels(object.spec.labels, filters["label"])
        }
        return Wire.json(matching.map(\.wire))
    }
}
