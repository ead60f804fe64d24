import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ShoalCore
import ShoalDockerAPI
import ShoalModel
import ShoalScheduler

/// The cluster endpoint's routes in front of the manager's own API (classic Swarm's behaviour):
/// - `GET /containers/json`: every Ready node's containers, named `/NODE/NAME`;
/// - `POST /containers/create`: placed by the classic scheduler (`-e constraint:…`, `affinity:…`, their labels,
///   ports, dependencies, reservations), created on the chosen node; names are unique in the cluster;
/// - `/containers/REF/…`: the call goes to the engine of the node that has REF (an ID, a unique prefix, a name or
///   `NODE/NAME`), its answer streamed back; inspect also tells the node, and `docker port` its address;
/// - attach and exec streams (hijacked connections) are the node's, relayed; `/exec/ID/…` goes to the node that
///   made the exec instance;
/// - `docker pull` pulls on every Ready node (a `docker run` of an image no node has too), `docker images` lists
///   every node's images once, `docker rmi` removes from every node, `docker info` describes the cluster and each node as classic Swarm's did;
/// - `docker network ls` shows the swarm's networks once and each node's own as `NODE/NAME`; connect and
///   disconnect reach the container's node;
/// - `docker volume create` makes the volume on every node, `volume ls` lists each node's as `NODE/NAME`;
///   `docker events` merges every node's events, each with its node; `rename` keeps names unique in the cluster;
/// - `POST /networks/create` without a driver (or with the CLI's default, `bridge`) makes an attachable overlay
///   (a network every node's containers can join).
/// Anything else is the manager's own API.
public struct ClusterInterceptor: DockerRequestInterceptor {
    let engines: any NodeEngines
    let strategy: ClassicScheduler.Strategy
    let logger: Logger
    let placements = PlacementCache()
    let ledger = PlacementLedger()
    let returning = ReturningNodes()
    /// Where containers with `reschedule:on-node-failure` are kept (nil: no rescheduling).
    let records: (any RescheduleRecords)?

    public init(engines: any NodeEngines, records: (any RescheduleRecords)? = nil,
                strategy: ClassicScheduler.Strategy = .spread, logger: Logger) {
        self.engines = engines
        self.records = records
        self.strategy = strategy
        self.logger = logger
    }

    public func intercept(_ request: Request, next: (Request) async throws -> Response) async throws -> Response {
        let parts = request.uri.path.split(separator: "/").map(String.init)
        if parts.first == "exec", parts.count >= 3 {
            let node = try await execNode(parts[1])
            let body = try await request.body.collect(upTo: 1 << 20)
            return try await relay(EngineRequest(method: request.method, uri: request.uri.description, headers: request.headers,
                                                 body: body.readableBytes > 0 ? body : nil), to: node)
        }
        guard parts.first == "containers", parts.count >= 2 else {
            switch (request.method, parts) {
            case (.post, ["networks", "create"]): return try await next(try overlayByDefault(request))
            case (.get, ["networks"]): return try await listNetworks(request)
            case (_, _) where parts.first == "networks" && parts.count >= 2 && parts[1] != "prune":
                return try await networkCall(request, parts: parts, next: next)
            case (.post, ["images", "create"]): return try await pullEverywhere(request)
            case (.get, ["images", "json"]): return try await imagesEverywhere(request)
            case (.delete, _) where parts.first == "images" && parts.count >= 2: return try await removeEverywhere(request)
            case (.get, ["info"]): return try await info(request, next: next)
            case (.get, ["version"]): return try await version(request, next: next)
            case (.get, ["events"]): return try await events(request)
            case (_, _) where parts.first == "volumes" && parts.last != "prune": return try await volumeCall(request, parts: parts)
            default: return try await next(request)
            }
        }
        switch (request.method, parts[1]) {
        case (.get, "json") where parts.count == 2: return try await list(request)
        case (.post, "create") where parts.count == 2: return try await create(request)
        case (_, "prune") where parts.count == 2: return try await next(request)
        default:
            // `docker cp` into a container: the archive goes to the node as it arrives, whatever its size.
            let streamed = request.method == .put && parts.last == "archive"
            let body = streamed ? ByteBuffer() : try await request.body.collect(upTo: 16 << 20)
            // Names are the cluster's: a rename is checked against every node's containers (listed once).
            var listed: [ClusterContainer]?
            if request.method == .post, parts.last == "rename", let wanted = Query(request)["name"] {
                let all = try await containers(query: "?all=1")
                try Self.ensureUnique(wanted, among: all)
                listed = all
            }
            // A container this endpoint just made (`docker run` starts it by its full ID): straight to its node.
            if !streamed, let node = placements.node(of: parts[1]) {
                let answer = try await forward(request, body: body, to: ClusterContainer(node: node, object: ["Id": parts[1]]),
                                               rest: parts.dropFirst(2).joined(separator: "/"))
                if answer.status != .notFound { return answer }
                placements.forget(parts[1])
            }
            // `docker stop NODE/NAME` puts the node's name in the path as it is: `/containers/NODE/NAME/stop`.
            let all: [ClusterContainer]
            if let listed { all = listed } else { all = try await containers(query: "?all=1") }
            let named = parts.count >= 3 && all.contains { $0.node.hostname == parts[1] }
            let reference = named ? parts[1] + "/" + parts[2] : parts[1]
            return try await forward(request, body: body, streamed: streamed ? request.body : nil,
                                     to: try ClusterContainer.resolve(reference, in: all),
                                     rest: parts.dropFirst(named ? 3 : 2).joined(separator: "/"))
        }
    }

    // MARK: the routes

    private func list(_ request: Request) async throws -> Response {
        let query = request.uri.query.map { "?" + $0 } ?? ""
        var merged = try await containers(query: query).sorted { $0.created > $1.created }.map(\.clusterObject)
        if let limit = Query(request)["limit"].flatMap(Int.init), limit > 0 { merged = Array(merged.prefix(limit)) }
        return Self.json(try JSONSerialization.data(withJSONObject: merged))
    }

    private func create(_ request: Request) async throws -> Response {
        let made = try await place(try await Self.jsonObject(request), query: request.uri.query,
                                   name: Query(request)["name"], headers: request.headers)
        return Response(status: made.status, headers: made.headers, body: .init(byteBuffer: made.bytes))
    }

    /// Places a container (a create body) with the classic scheduler and creates it on the chosen node; one with
    /// `reschedule:on-node-failure` is recorded for the rescheduler. Returns the node's answer.
    func place(_ body: [String: Any], query: String?, name: String?, headers: HTTPFields = [:],
               excluding excluded: Set<String> = []) async throws
        -> (node: ClusterNode, status: HTTPResponse.Status, headers: HTTPFields, bytes: ByteBuffer, id: String?)
    {
        let asked = Date()
        let loads = try await loads(of: try await engines.nodes().filter { !excluded.contains($0.id) })
        let placement = CreateBody.placement(body)
        let (chosen, token) = try ledger.decide(placement, name: name, loads: loads, listedAt: asked, strategy: strategy)
        var made: String?
        defer { ledger.settle(token, id: made) }
        let rewritten = try JSONSerialization.data(withJSONObject: CreateBody.rewritten(body, for: placement))
        let uri = "/containers/create" + (query.map { "?" + $0 } ?? "")
        logger.debug("cluster endpoint: \(name ?? "a container") placed on \(chosen.hostname)")
        let answer = try await engines.send(EngineRequest(method: .post, uri: uri, headers: headers,
                                                          body: ByteBuffer(bytes: rewritten)), to: chosen)
        let bytes = try await answer.collect()
        if answer.status == .created,
           let id = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any])?["Id"] as? String {
            placements.remember(id, on: chosen)
            made = id
            if placement.request.reschedulesOnNodeFailure, let records {
                try await records.remember(ReschedulableContainer(id: id, name: name ?? "", nodeID: chosen.id,
                                                               createBody: rewritten, createQuery: query ?? ""))
            }
        }
        return (chosen, answer.status, answer.headers, bytes, made)
    }

    private func forward(_ request: Request, body: ByteBuffer, streamed: RequestBody? = nil, to target: ClusterContainer,
                         rest: String) async throws -> Response
    {
        let uri = "/containers/\(target.id)" + (rest.isEmpty ? "" : "/" + rest) + (request.uri.query.map { "?" + $0 } ?? "")
        let outgoing = EngineRequest(method: request.method, uri: uri, headers: request.headers,
                                     body: body.readableBytes > 0 ? body : nil, streamedBody: streamed)
        guard request.method == .get, rest == "json" else {
            let answer = try await relay(outgoing, to: target.node)
            if request.method == .delete, rest.isEmpty, answer.status.code < 300 { try? await records?.forget(target.id) }
            return answer
        }
        // Inspect: where the container runs, and its published ports on the node's address (`docker port`).
        let answer = try await engines.send(outgoing, to: target.node)
        let bytes = try await answer.collect()
        guard answer.status == .ok,
              var object = try JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any]
        else { return Response(status: answer.status, headers: answer.headers, body: .init(byteBuffer: bytes)) }
        object["Node"] = Self.nodeObject(target.node)
        if var settings = object["NetworkSettings"] as? [String: Any], let ports = settings["Ports"] as? [String: Any] {
            settings["Ports"] = ports.mapValues { bindings -> Any in
                guard let list = bindings as? [[String: Any]] else { return bindings }
                return Self.onNode(list, address: target.node.address, ip: "HostIp", port: "HostPort")
            }
            object["NetworkSettings"] = settings
        }
        return Self.json(try JSONSerialization.data(withJSONObject: object))
    }

    /// `docker network create NAME` on the endpoint: an overlay the containers of every node can join. The
    /// stock CLI sends its default driver, `bridge`, when none is given, so `bridge` means the default here too
    /// (a node-local bridge is made on that node's own socket).
    private func overlayByDefault(_ request: Request) async throws -> Request {
        var body = try await Self.jsonObject(request)
        if ["", "bridge"].contains(body["Driver"] as? String ?? "") {
            body["Driver"] = "overlay"
            body["Attachable"] = true
        }
        let bytes = try JSONSerialization.data(withJSONObject: body)
        return Request(head: request.head, body: RequestBody(buffer: ByteBuffer(bytes: bytes)))
    }

    // MARK: hijacked streams

    /// `docker attach`, `docker run` without `-d`, `docker exec`: the stream is the container's node's, relayed.
    public func hijack(method: String, path: String, body: ByteBuffer) async throws -> (any StreamSession)? {
        let parts = path.split(separator: "?", maxSplits: 1).first.map { $0.split(separator: "/").map(String.init) } ?? []
        let query = path.split(separator: "?", maxSplits: 1).dropFirst().first.map { "?" + $0 } ?? ""
        if parts.count == 3, parts[0] == "exec", parts[2] == "start" {
            let node = try await execNode(parts[1])
            let tty = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["Tty"] as? Bool ?? false
            return try await RemoteStreamSession.open(
                EngineRequest(method: .post, uri: "/exec/\(parts[1])/start", body: body), host: node.address, tty: tty,
                channel: try await engines.connect(to: node))
        }
        guard parts.first == "containers", parts.last == "attach", (3...4).contains(parts.count) else { return nil }
        let reference = parts.dropFirst().dropLast().joined(separator: "/")
        let target = if let node = placements.node(of: reference) {
            ClusterContainer(node: node, object: ["Id": reference])
        } else {
            try ClusterContainer.resolve(reference, in: try await containers(query: "?all=1"))
        }
        let inspected = try await engines.send(EngineRequest(method: .get, uri: "/containers/\(target.id)/json"), to: target.node)
        let details = try await inspected.collect()
        let tty = ((try? JSONSerialization.jsonObject(with: Data(details.readableBytesView)) as? [String: Any])?["Config"]
            as? [String: Any])?["Tty"] as? Bool ?? false
        return try await RemoteStreamSession.open(
            EngineRequest(method: .post, uri: "/containers/\(target.id)/attach" + query, body: body), host: target.node.address,
            tty: tty, channel: try await engines.connect(to: target.node))
    }

    /// The node an exec instance belongs to (its ID is one node's): the one whose engine knows it.
    private func execNode(_ id: String) async throws -> ClusterNode {
        let answers = await collectedAnswers(EngineRequest(method: .get, uri: "/exec/\(id)/json"),
                                             from: try await engines.nodes())
        guard let node = answers.first(where: { $0.status == .ok })?.node else {
            throw ShoalError.notFound("No such exec instance: \(id)")
        }
        return node
    }

    // MARK: the nodes

    /// Every Ready node's containers for `query` (of `known` nodes, or all of them).
    func containers(query: String, on known: [ClusterNode]? = nil) async throws -> [ClusterContainer] {
        try await everyNode(EngineRequest(method: .get, uri: "/containers/json" + query), known).flatMap { node, answer in
            (answer as? [[String: Any]] ?? []).map { ClusterContainer(node: node, object: $0) }
        }
    }

    /// `request` on each Ready node (of `known`, or of all) at once: the JSON answers of those that answered
    /// `status`, in the nodes' name order.
    func everyNode(_ request: EngineRequest, _ known: [ClusterNode]? = nil, status: HTTPResponse.Status = .ok)
        async throws -> [(node: ClusterNode, answer: Any)]
    {
        let nodes: [ClusterNode]
        if let known { nodes = known } else { nodes = try await engines.nodes() }
        return await collectedAnswers(request, from: nodes).filter { $0.status == status }
            .sorted { $0.node.hostname < $1.node.hostname }
            .compactMap { answer in
                (try? JSONSerialization.jsonObject(with: Data(answer.bytes.readableBytesView))).map { (answer.node, $0) }
            }
    }

    /// One node's whole answer to a request sent to several.
    typealias CollectedAnswer = (node: ClusterNode, status: HTTPResponse.Status, headers: HTTPFields, bytes: ByteBuffer)

    /// `request` on each Ready node of `nodes` at once, every answer read whole (the fan-out behind every call the
    /// endpoint makes of all nodes). A node that cannot be reached is left out and logged, as classic Swarm left
    /// out an unhealthy engine.
    func collectedAnswers(_ request: EngineRequest, from nodes: [ClusterNode]) async -> [CollectedAnswer] {
        let (engines, logger) = (self.engines, self.logger)
        return await withTaskGroup(of: CollectedAnswer?.self) { group in
            for node in nodes where node.ready {
                group.addTask {
                    do {
                        let answer = try await engines.send(request, to: node)
                        return (node, answer.status, answer.headers, try await answer.collect())
                    } catch {
                        logger.warning("cluster endpoint: \(node.hostname) left out of \(request.method) \(request.uri): \(error)")
                        return nil
                    }
                }
            }
            return await group.reduce(into: [CollectedAnswer]()) { if let answer = $1 { $0.append(answer) } }
        }
    }

    func relay(_ request: EngineRequest, to node: ClusterNode) async throws -> Response {
        let answer = try await engines.send(request, to: node)
        guard request.method != .head else {
            // A HEAD answer (`docker cp`'s stat of a path) has headers only: relayed with a body framing, the
            // client would read the empty body's last chunk as the start of its next response.
            for try await _ in answer.body {}
            var headers = answer.headers
            headers[.transferEncoding] = nil
            return Response(status: answer.status, headers: headers)
        }
        return Response(status: answer.status, headers: answer.headers, body: ResponseBody(asyncSequence: answer.body))
    }

    // MARK: helpers

    /// Container names are the cluster's: Docker's conflict when another node's container has it.
    static func ensureUnique(_ name: String, among all: [ClusterContainer]) throws {
        let wanted = name.hasPrefix("/") ? String(name.dropFirst()) : name
        if let taken = all.first(where: { $0.names.contains(wanted) }) { throw nameConflict(wanted, id: taken.id) }
    }

    static func nameConflict(_ name: String, id: String) -> ShoalError {
        .conflict("Conflict. The container name \"/\(name)\" is already in use by container \"\(id)\". You have to remove (or rename) that container to be able to reuse that name.")
    }

    /// Published ports as classic Swarm showed them: on the node's address instead of any address (`0.0.0.0`,
    /// `::`), once each.
    static func onNode(_ bindings: [[String: Any]], address: String, ip: String, port: String) -> [[String: Any]] {
        var seen: Set<String> = []
        return bindings.compactMap { binding in
            var binding = binding
            if let host = binding[ip] as? String, host.isEmpty || host == "0.0.0.0" || host == "::" {
                binding[ip] = address
            }
            let key = "\(binding[ip] ?? "")|\(binding[port] ?? "")|\(binding["PrivatePort"] ?? "")|\(binding["Type"] ?? "")"
            return seen.insert(key).inserted ? binding : nil
        }
    }

    static func nodeObject(_ node: ClusterNode) -> [String: Any] {
        ["ID": node.id, "Name": node.hostname, "IP": node.address, "Addr": "\(node.address):2376",
         "Cpus": Int(node.nanoCPUs / 1_000_000_000), "Memory": node.memoryBytes, "Labels": node.labels]
    }

    static func json(_ data: Data) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func jsonObject(_ request: Request) async throws -> [String: Any] {
        let buffer = try await request.body.collect(upTo: 16 << 20)
        guard buffer.readableBytes > 0 else { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
            throw ShoalError.invalidArgument("invalid JSON in the request body")
        }
        return object
    }
}
