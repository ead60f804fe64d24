import Foundation
import Hummingbird
import ShoalCore
import ShoalModel

/// `/services/…` and `/tasks/…` (Docker's swarm router, cluster_routes.go; logs in `TaskLogRoutes`). Whether this node may answer (a manager
/// of a swarm) is the backend's call; as in Docker, it is asked before the filters are checked.
struct ServiceRoutes<Context: RequestContext> {
    let backends: DockerBackends
    let taskJSON = TaskJSONCache()
    var services: any ServiceBackend { backends.services }

    func add(to router: Router<Context>) {
        let group = router.group("services")
        group.get("") { request, _ in try await list(request) }
        group.post("create") { request, context in
            let body = try await SwarmRequest.body(ServiceSpecWire.self, from: request, context: context)
            let id = try await services.createService(try body.spec(), registryAuth: RegistryAuthHeader.text(of: request))
            return Wire.json(ServiceCreateResponseWire(ID: id, Warnings: nil), status: .created)
        }
        group.get(":id") { request, context in
            let insertDefaults = try SwarmRequest.flag(Query(request), "insertDefaults")
            let service = try await services.service(try context.parameters.require("id"))
            return Wire.json(service.wire(insertDefaults: insertDefaults))
        }
        group.post(":id/update") { request, context in
            let body = try await SwarmRequest.body(ServiceSpecWire.self, from: request, context: context)
            let query = Query(request)
            let version = try SwarmRequest.version(query, of: "service")
            // `docker service rollback` (and `update --rollback`): the previous spec comes back.
            try await services.updateService(try context.parameters.require("id"), version: version,
                                             spec: try body.spec(), rollback: query["rollback"] == "previous",
                                             registryAuth: RegistryAuthHeader.text(of: request))
            return Wire.json(ServiceUpdateResponseWire(Warnings: nil))
        }
        let logs = TaskLogRoutes(services: services)
        group.get(":id/logs") { request, context in
            try await logs.serviceLogs(request, reference: try context.parameters.require("id"))
        }
        group.delete(":id") { _, context in
            try await services.removeService(try context.parameters.require("id"))
            return Response(status: .ok)
        }
        let tasks = router.group("tasks")
        tasks.get("") { request, _ in try await listTasks(request) }
        tasks.get(":id") { _, context in
            Wire.json(try await services.task(try context.parameters.require("id")).wire)
        }
        tasks.get(":id/logs") { request, context in
            try await logs.taskLogs(request, reference: try context.parameters.require("id"))
        }
    }

    /// The daemon's filters: `id` and `name` are prefixes, `label` needs the label (and its value when given),
    /// `mode` is replicated or global.
    private func list(_ request: Request) async throws -> Response {
        let query = Query(request)
        let filters = try query.filters()
        let all = try await services.listServices()
        try filters.validate(accepting: ["id", "label", "mode", "name"])
        let matching = all.filter { service in
            (filters["id"].isEmpty || filters["id"].contains { service.id.hasPrefix($0) })
                && (filters["name"].isEmpty || filters["name"].contains { service.spec.name.hasPrefix($0) })
                && NodeRoutes<Context>.matchLabels(service.spec.labels, filters["label"])
                && (filters["mode"].isEmpty || filters["mode"].contains(service.spec.mode.isGlobal ? "global" : "replicated"))
        }
        guard try SwarmRequest.flag(query, "status") else { return Wire.json(matching.map { $0.wire() }) }
        let tasks = try await services.listTasks()
        return Wire.json(matching.map { service in
            var wire = service.wire()
            wire.ServiceStatus = ServiceStatusWire(service, tasks: tasks)
            return wire
        })
    }

    /// The daemon's task filters: `service` and `node` name one (resolved as Docker resolves them, so an unknown
    /// one is a 404), `desired-state` is a task state, `name` and `id` are prefixes (a task's name is
    /// `<service>.<slot>.<id>`), `label` matches the labels of the task's service (SwarmKit keeps them with the
    /// task as its service annotations: `docker stack ps` finds a stack's tasks by its namespace label).
    private func listTasks(_ request: Request) async throws -> Response {
        let filters = try Query(request).filters()
        let all = try await services.listTasks()
        try filters.validate(accepting: ["_up-to-date", "desired-state", "id", "label", "name", "node", "runtime",
                                         "service"])
        let states = try filters["desired-state"].filter { !$0.isEmpty }.map { text in
            guard let state = TaskState(rawValue: text.lowercased()) else {
                throw DockerAPIError.badRequest("Invalid desired-state filter: '\(text)'")
            }
            return state
        }
        var serviceIDs: [String] = []
        for reference in filters["service"] { serviceIDs.append(try await services.service(reference).id) }
        var nodeIDs: [String] = []
        for reference in filters["node"] { nodeIDs.append(try await backends.swarm.node(reference).id) }
        let byID = Dictionary(try await services.listServices().map { ($0.id, $0) },
                              uniquingKeysWith: { first, _ in first })
        let matching = all.filter { task in
            let service = byID[task.serviceID]
            let name = task.name(serviceName: service?.spec.name ?? "")
            return (serviceIDs.isEmpty || serviceIDs.contains(task.serviceID))
                && (nodeIDs.isEmpty || nodeIDs.contains(task.nodeID))
                && (states.isEmpty || states.contains(task.desiredState))
                && (filters["id"].isEmpty || filters["id"].contains { task.id.hasPrefix($0) })
                && (filters["name"].isEmpty || filters["name"].contains { name.hasPrefix($0) })
                && NodeRoutes<Context>.matchLabels(service?.spec.labels ?? task.labels, filters["label"])
        }
        return Wire.json(encoded: taskJSON.json(of: matching, existing: all))
    }
}
