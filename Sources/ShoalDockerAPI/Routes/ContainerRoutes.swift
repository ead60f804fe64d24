import Foundation
import Hummingbird
import ShoalCore
import ShoalModel

/// `/containers/…`: lifecycle, inspect and list, logs, wait, top, stats, archive. Attach and exec start take
/// over their connection and are served by `HijackHandler`; the attach route here only answers clients that do
/// not ask for the upgrade (output only).
struct ContainerRoutes<Context: RequestContext> {
    let backends: DockerBackends
    let spoolDirectory: String
    let stopping: StopSignal
    var containers: any ContainerBackend { backends.containers }

    func add(to router: Router<Context>) {
        router.post("commit") { request, _ in try await commit(request) }
        let group = router.group("containers")
        group.post("create") { request, context in try await create(request, context: context) }
        group.get("json") { request, _ in try await list(request) }
        group.post("prune") { request, _ in try await prune(request) }
        group.get(":id/json") { _, context in
            let record = try await containers.container(try context.parameters.require("id"))
            return Wire.json(record.inspectWire(logPath: "", rootDir: ""))
        }
        group.post(":id/start") { _, context in
            try await containers.startContainer(try context.parameters.require("id"))
            return Response(status: .noContent)
        }
        group.post(":id/stop") { request, context in
            let query = Query(request)
            try await containers.stopContainer(
                try context.parameters.require("id"), timeout: try query.int("t"), signal: query["signal"])
            return Response(status: .noContent)
        }
        group.post(":id/restart") { request, context in
            let query = Query(request)
            try await containers.restartContainer(
                try context.parameters.require("id"), timeout: try query.int("t"), signal: query["signal"])
            return Response(status: .noContent)
        }
        group.post(":id/kill") { request, context in
            try await containers.killContainer(try context.parameters.require("id"), signal: Query(request)["signal"])
            return Response(status: .noContent)
        }
        group.post(":id/pause") { _, context in
            try await containers.pauseContainer(try context.parameters.require("id"))
            return Response(status: .noContent)
        }
        group.post(":id/unpause") { _, context in
            try await containers.unpauseContainer(try context.parameters.require("id"))
            return Response(status: .noContent)
        }
        group.post(":id/rename") { request, context in
            guard let name = Query(request)["name"], !name.isEmpty else {
                throw DockerAPIError.badRequest("name is required")
            }
            try await containers.renameContainer(try context.parameters.require("id"), to: name)
            return Response(status: .noContent)
        }
        group.post(":id/resize") { request, context in
            let query = Query(request)
            try await containers.resizeContainer(
                try context.parameters.require("id"), height: try query.int("h") ?? 0, width: try query.int("w") ?? 0)
            return Response(status: .ok)
        }
        group.post(":id/wait") { request, context in try await wait(request, id: try context.parameters.require("id")) }
        group.delete(":id") { request, context in
            let query = Query(request)
            try await containers.removeContainer(
                try context.parameters.require("id"), force: query.bool("force"), removeVolumes: query.bool("v"))
            return Response(status: .noContent)
        }
        group.get(":id/logs") { request, context in try await logs(request, id: try context.parameters.require("id")) }
        group.post(":id/attach") { request, context in
            try await attachWithoutUpgrade(request, id: try context.parameters.require("id"))
        }
        group.get(":id/top") { request, context in
            let table = try await containers.containerTop(try context.parameters.require("id"),
                                                          psArgs: Query(request)["ps_args"])
            return Wire.json(TopWire(Titles: table.titles, Processes: table.processes))
        }
        group.post(":id/update") { request, context in
            guard let body = try await Wire.decode(ContainerUpdateWire.self, from: request, context: context) else {
                throw DockerAPIError.badRequest("invalid update: empty body")
            }
            let warnings = try await containers.updateContainer(try context.parameters.require("id"), try body.update())
            return Wire.json(WarningsWire(Warnings: warnings.isEmpty ? nil : warnings))
        }
        group.get(":id/changes") { _, context in
            let changes = try await containers.containerChanges(try context.parameters.require("id"))
            return Wire.json(changes.map { ChangeWire(Path: $0.path, Kind: $0.kind.rawValue) })
        }
        group.get(":id/stats") { request, context in try await stats(request, id: try context.parameters.require("id")) }
        group.post(":id/exec") { request, context in
            try await ExecRoutes<Context>.create(request, context: context, id: try context.parameters.require("id"),
                                                 backend: containers)
        }
        group.head(":id/archive") { request, context in
            try await ArchiveRoutes.stat(request, id: try context.parameters.require("id"), backend: containers)
        }
        group.get(":id/archive") { request, context in
            try await ArchiveRoutes.get(request, id: try context.parameters.require("id"), backend: containers,
                                                 spool: spoolDirectory)
        }
        group.put(":id/archive") { request, context in
            try await ArchiveRoutes.put(request, id: try context.parameters.require("id"), backend: containers,
                                                 spool: spoolDirectory)
        }
    }

    private func create(_ request: Request, context: Context) async throws -> Response {
        let name = Query(request)["name"].flatMap { $0.isEmpty ? nil : $0 }
        guard let body = try await Wire.decode(ContainerCreateBody.self, from: request, context: context) else {
            throw DockerAPIError.badRequest("Config cannot be empty in order to create a container")
        }
        let created = try await containers.createContainer(name: name, spec: try body.spec())
        return Wire.json(ContainerCreateResponseWire(Id: created.id, Warnings: created.warnings), status: .created)
    }

    /// `POST /commit?container=…&repo=…&tag=…&comment=…&author=…&pause=…&changes=…` (201 `{"Id": …}`). The body,
    /// a configuration to merge, is not read: the CLI sends none; `--change` carries what it sets.
    private func commit(_ request: Request) async throws -> Response {
        let query = Query(request)
        guard let container = query["container"], !container.isEmpty else {
            throw DockerAPIError.badRequest("No such container: ")
        }
        var reference: String?
        if let repo = query["repo"], !repo.isEmpty {
            let tag = query["tag"] ?? ""
            reference = tag.isEmpty ? repo : repo + ":" + tag
        }
        let id = try await containers.commitContainer(
            container, reference: reference, comment: query["comment"] ?? "", author: query["author"] ?? "",
            changes: query.all("changes"), pause: query.bool("pause", default: true))
        return Wire.json(IDResponseWire(Id: id), status: .created)
    }

    private func list(_ request: Request) async throws -> Response {
        let query = Query(request)
        let filters = try query.filters()
        try filters.validate(accepting: ["id", "name", "label", "status", "exited", "ancestor", "before", "since",
                                          "volume", "network", "health", "is-task"])
        for status in filters["status"] where ContainerState.Status(rawValue: status) == nil {
            throw DockerAPIError.badRequest(
                "invalid filter 'status=\(status)'")
        }
        for health in filters["health"] where health != "none" && HealthState.Status(rawValue: health) == nil {
            throw DockerAPIError.badRequest("Unrecognised filter value for health: \(health)")
        }
        var records = try await containers.listContainers().sorted { $0.created > $1.created }
        // As Docker: a limit (`ps -n`) lists the last created containers in any state.
        let limit = try query.int("limit")
        let all = query.bool("all") || (limit ?? 0) > 0 || !filters["status"].isEmpty || !filters["exited"].isEmpty
        if !all { records = records.filter { $0.state.isRunning } }
        records = try ContainerFilter.apply(filters, to: records)
        if let limit, limit > 0 {
            records = Array(records.prefix(limit))
        }
        let now = Date()
        return Wire.json(records.map { $0.summaryWire(now: now) })
    }

    private func prune(_ request: Request) async throws -> Response {
        let filters = try Query(request).filters()
        try filters.validate(accepting: ["label", "until"])
        let result = try await containers.pruneContainers(labels: filters["label"])
        return Wire.json(PruneContainersWire(ContainersDeleted: result.deleted, SpaceReclaimed: result.spaceReclaimed))
    }

    /// The status line is sent at once and the body when the condition is met, as Docker does: the CLI sends
    /// this before `start` and relies on the early answer. `docker run -d` sends one too and goes away, so the
    /// wait also ends when its client is gone (found by a write every `clientCheck`) or the daemon stops:
    /// neither leaves a request in flight that holds the server's graceful shutdown.
    private func wait(_ request: Request, id: String) async throws -> Response {
        let text = Query(request)["condition"] ?? "not-running"
        guard let condition = WaitCondition(rawValue: text.isEmpty ? "not-running" : text) else {
            throw DockerAPIError.badRequest("invalid condition: \"\(text)\"")
        }
        let waiter = try await containers.waitContainer(id, condition: condition)
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer())
                // The result when the condition is met; nil each time the client is to be checked.
                let outcome = AsyncStream<WaitResult?>.makeStream()
                let waiting = Task {
                    outcome.continuation.yield(await waiter())
                    outcome.continuation.finish()
                }
                let ticks = Task {
                    while !Task.isCancelled {
                        try await Task.sleep(for: Self.clientCheck)
                        outcome.continuation.yield(nil)
                    }
                }
                // A stopping daemon ends the wait without an answer (the client sees the connection close).
                let stop = Task {
                    await stopping.wait()
                    outcome.continuation.finish()
                }
                defer {
                    waiting.cancel()
                    ticks.cancel()
                    stop.cancel()
                }
                for await next in outcome.stream {
                    if let result = next {
                        var buffer = ByteBuffer(bytes: Wire.encode(WaitResponseWire(
                            StatusCode: result.statusCode, Error: result.error.map { .init(Message: $0) })))
                        buffer.writeString("\n")
                        try await writer.write(buffer)
                        try await writer.finish(nil)
                        return
                    }
                    // An empty write costs nothing on the wire and fails once the client has closed.
                    try await writer.write(ByteBuffer())
                    if Task.isCancelled { return }
                }
                // The daemon is stopping: the connection is dropped without an answer, as dockerd's is (a body left
                // open would keep the server's graceful shutdown waiting for it).
                throw CancellationError()
            })
    }

    /// How often a pending wait looks whether its client is still there.
    static var clientCheck: Duration { .seconds(1) }

    private func logs(_ request: Request, id: String) async throws -> Response {
        let query = Query(request)
        var options = try query.logOptions()
        options.until = try query.timestamp("until")
        if let tail = query["tail"], tail != "all", !tail.isEmpty {
            guard let count = Int(tail) else { throw DockerAPIError.badRequest("invalid value for tail: \(tail)") }
            options.tail = max(0, count)
        }
        let record = try await containers.container(id)
        let entries = try await containers.containerLogs(id, options: options)
        let tty = record.spec.tty
        let timestamps = options.timestamps
        // Without -f the whole answer is wanted at once: entries go out in 64 KiB writes (one write per line
        // makes a large log slow). With -f each entry goes out as it comes.
        let batch = options.follow ? 0 : 64 * 1024
        return Response(
            status: .ok, headers: [.contentType: "application/vnd.docker.raw-stream"],
            body: ResponseBody { writer in
                var pending = ByteBuffer()
                for try await entry in entries {
                    var bytes = entry.bytes
                    if timestamps { bytes = Array((Wire.rfc3339Nano(entry.time) + " ").utf8) + bytes }
                    let chunk = tty ? ByteBuffer(bytes: bytes) : StreamFraming.frame(entry.stream, bytes)
                    if batch == 0 {
                        try await writer.write(chunk)
                        continue
                    }
                    pending.writeImmutableBuffer(chunk)
                    if pending.readableBytes >= batch {
                        try await writer.write(pending)
                        pending = ByteBuffer()
                    }
                }
                if pending.readableBytes > 0 { try await writer.write(pending) }
                try await writer.finish(nil)
            })
    }

    private func attachWithoutUpgrade(_ request: Request, id: String) async throws -> Response {
        let query = Query(request)
        let session = try await containers.attachContainer(
            id, stdin: false, stdout: query.bool("stdout"), stderr: query.bool("stderr"), logs: query.bool("logs"),
            stream: query.bool("stream"))
        return Response(
            status: .ok, headers: [.contentType: "application/vnd.docker.raw-stream"],
            body: ResponseBody { writer in
                for await chunk in session.output {
                    try await writer.write(
                        session.tty ? ByteBuffer(bytes: chunk.bytes) : StreamFraming.frame(chunk.stream, chunk.bytes))
                }
                try await writer.finish(nil)
            })
    }

    /// How long a stats call without a stream waits for its second sample.
    static var statsPrimeInterval: Duration { .milliseconds(500) }

    private func stats(_ request: Request, id: String) async throws -> Response {
        let query = Query(request)
        let stream = query.bool("stream", default: true) && !query.bool("one-shot")
        let prime = !stream && !query.bool("one-shot")
        let record = try await containers.container(id)
        let backend = containers
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody { writer in
                var previous: ContainerStats? = nil
                // As Docker: without a stream (and without one-shot) the answer comes after an interval, with the
                // sample of then as precpu_stats, so the CLI's CPU % has an interval to work with. Docker waits for
                // its collector's next tick (1 s); half a second gives the same percentage (a ratio of the two
                // deltas) sooner, and keeps `docker stats --no-stream` well inside the CLI's 2 s wait for the first
                // answer on a loaded host.
                if prime {
                    previous = try await backend.containerStats(id)
                    try await Task.sleep(for: Self.statsPrimeInterval)
                }
                repeat {
                    let sample = try await backend.containerStats(id)
                    var buffer = ByteBuffer(bytes: Wire.encode(StatsWire(record: record, sample: sample, previous: previous)))
                    buffer.writeString("\n")
                    try await writer.write(buffer)
                    previous = sample
                    if stream { try await Task.sleep(for: .seconds(1)) }
                } while stream
                try await writer.finish(nil)
            })
    }
}

struct TopWire: Encodable, Sendable {
    var Titles: [String]
    var Processes: [[String]]
}

struct PruneContainersWire: Encodable, Sendable {
    var ContainersDeleted: [String]
    var SpaceReclaimed: Int64
}

/// `docker ps --filter`: values of one key are OR-ed, keys AND-ed, as in Docker.
enum ContainerFilter {
    static func apply(_ filters: Filters, to records: [ContainerRecord]) throws -> [ContainerRecord] {
        var records = records
        if !filters["before"].isEmpty || !filters["since"].isEmpty {
            func created(_ ref: String) throws -> Date {
                guard let match = records.first(where: { $0.name == ref || $0.id.hasPrefix(ref) }) else {
                    throw DockerAPIError(.notFound, "No such container: \(ref)")
                }
                return match.created
            }
            if let before = filters["before"].first {
                let limit = try created(before)
                records = records.filter { $0.created < limit }
            }
            if let since = filters["since"].first {
                let limit = try created(since)
                records = records.filter { $0.created > limit }
            }
        }
        let exited = try filters["exited"].map { text -> Int32 in
            guard let code = Int32(text) else { throw DockerAPIError.badRequest("invalid filter 'exited=\(text)'") }
            return code
        }
        return records.filter { record in
            func anyOf(_ key: String, _ test: (String) -> Bool) -> Bool {
                let values = filters[key]
                return values.isEmpty || values.contains(where: test)
            }
            return anyOf("id") { record.id.hasPrefix($0) }
                && anyOf("name") { record.name.range(of: $0.hasPrefix("/") ? String($0.dropFirst()) : $0) != nil }
                && anyOf("status") { $0 == record.state.status.rawValue }
                && anyOf("health") { $0 == (record.state.health?.status.rawValue ?? "none") }
                && anyOf("ancestor") { $0 == record.spec.image || record.imageID.hasSuffix($0) || record.imageID == $0 }
                && anyOf("volume") { volume in record.mounts.contains { $0.name == volume || $0.destination == volume } }
                && anyOf("network") { $0 == record.spec.host.networkMode }
                && (exited.isEmpty || (record.state.status == .exited && exited.contains(record.state.exitCode)))
                && filters.matchLabels(record.labels)
        }
    }
}
