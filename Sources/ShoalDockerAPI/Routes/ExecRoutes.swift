import Foundation
import HTTPTypes
import Hummingbird
import ShoalModel

/// `/containers/{id}/exec` and `/exec/{id}/…`. A started exec that is not detached is hijacked (HijackHandler);
/// `POST /exec/{id}/start` reaches this router only for detached execs or clients that do not upgrade.
struct ExecRoutes<Context: RequestContext> {
    let backends: DockerBackends

    func add(to router: Router<Context>) {
        let group = router.group("exec")
        group.get(":id/json") { _, context in
            let exec = try await backends.containers.exec(try context.parameters.require("id"))
            return Wire.json(ExecInspectWire(exec))
        }
        group.post(":id/resize") { request, context in
            let query = Query(request)
            try await backends.containers.resizeExec(
                try context.parameters.require("id"), height: try query.int("h") ?? 0, width: try query.int("w") ?? 0)
            return Response(status: .ok)
        }
        group.post(":id/start") { request, context in
            let body = try await Wire.decode(ExecStartWire.self, from: request, context: context, allowEmpty: true)
            let session = try await backends.containers.startExec(
                try context.parameters.require("id"), detach: body?.Detach ?? false)
            guard let session else { return Response(status: .ok) }
            return Response(
                status: .ok, headers: [.contentType: "application/vnd.docker.raw-stream"],
                body: ResponseBody { writer in
                    await session.closeStdin()
                    for await chunk in session.output {
                        try await writer.write(
                            session.tty ? ByteBuffer(bytes: chunk.bytes) : StreamFraming.frame(chunk.stream, chunk.bytes))
                    }
                    try await writer.finish(nil)
                })
        }
    }

    static func create(_ request: Request, context: Context, id: String, backend: any ContainerBackend)
        async throws -> Response {
        guard let body = try await Wire.decode(ExecCreateWire.self, from: request, context: context),
              let cmd = body.Cmd?.values, !cmd.isEmpty else {
            throw DockerAPIError.badRequest("No exec command specified")
        }
        var spec = ExecSpec(cmd: cmd)
        spec.env = body.Env ?? []
        spec.user = body.User.flatMap { $0.isEmpty ? nil : $0 }
        spec.workingDir = body.WorkingDir.flatMap { $0.isEmpty ? nil : $0 }
        spec.tty = body.Tty ?? false
        spec.attachStdin = body.AttachStdin ?? false
        spec.attachStdout = body.AttachStdout ?? false
        spec.attachStderr = body.AttachStderr ?? false
        spec.privileged = body.Privileged ?? false
        if let keys = body.DetachKeys, !keys.isEmpty {
            // Docker's words and status (a plain error: 500).
            guard DetachKeys.parse(keys) != nil else {
                throw DockerAPIError(.internalServerError, "Invalid escape keys (\(keys)) provided")
            }
            spec.detachKeys = keys
        }
        let execID = try await backend.createExec(id, spec: spec)
        return Wire.json(["Id": execID], status: .created)
    }
}

struct ExecStartWire: Decodable, Sendable {
    var Detach: Bool?
    var Tty: Bool?
}

struct ExecCreateWire: Decodable, Sendable {
    var Cmd: StringOrArray?
    var Env: [String]?
    var User: String?
    var WorkingDir: String?
    var Tty: Bool?
    var AttachStdin: Bool?
    var AttachStdout: Bool?
    var AttachStderr: Bool?
    var Privileged: Bool?
    var DetachKeys: String?
}

struct ExecInspectWire: Encodable, Sendable {
    struct ProcessConfigWire: Encodable, Sendable {
        var tty: Bool
        var entrypoint: String
        var arguments: [String]
        var privileged: Bool
        var user: String
    }
    var ID: String
    var Running: Bool
    var ExitCode: Int32?
    var ProcessConfig: ProcessConfigWire
    var OpenStdin: Bool
    var OpenStderr: Bool
    var OpenStdout: Bool
    var CanRemove: Bool
    var ContainerID: String
    var DetachKeys: String
    var Pid: Int32

    init(_ exec: ExecRecord) {
        ID = exec.id
        Running = exec.running
        ExitCode = exec.exitCode
        ProcessConfig = .init(tty: exec.spec.tty, entrypoint: exec.spec.cmd.first ?? "",
                              arguments: Array(exec.spec.cmd.dropFirst()), privileged: exec.spec.privileged,
                              user: exec.spec.user ?? "")
        OpenStdin = exec.spec.attachStdin
        OpenStderr = exec.spec.attachStderr
        OpenStdout = exec.spec.attachStdout
        CanRemove = false
        ContainerID = exec.containerID
        // Docker keeps the parsed bytes, so its JSON shows them in base64.
        DetachKeys = exec.spec.detachKeys.flatMap(ShoalDockerAPI.DetachKeys.parse)
            .map { Data($0).base64EncodedString() } ?? ""
        Pid = exec.pid
    }
}

/// `docker cp`: HEAD/GET/PUT `/containers/{id}/archive?path=…`.
enum ArchiveRoutes {
    static let statHeader = HTTPField.Name("X-Docker-Container-Path-Stat")!

    static func stat(_ request: Request, id: String, backend: any ContainerBackend) async throws -> Response {
        let stat = try await backend.statPath(id, path: try path(request))
        var response = Response(status: .ok)
        response.headers[statHeader] = encode(stat)
        return response
    }

    static func get(_ request: Request, id: String, backend: any ContainerBackend, spool: String)
        async throws -> Response {
        let file = spool + "/archive-" + UUID().uuidString
        let stat: PathStat
        do {
            stat = try await backend.archive(id, path: try path(request), to: file)
        } catch {
            try? FileManager.default.removeItem(atPath: file)
            throw error
        }
        var response = Response(
            status: .ok, headers: [.contentType: "application/x-tar"], body: .spooledFile(file))
        response.headers[statHeader] = encode(stat)
        return response
    }

    static func put(_ request: Request, id: String, backend: any ContainerBackend, spool: String)
        async throws -> Response {
        let query = Query(request)
        let target = try path(request)
        let file = try await request.spoolBody(into: spool)
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await backend.extract(id, path: target, from: file,
                                  noOverwriteDirNonDir: query.bool("noOverwriteDirNonDir"))
        return Response(status: .ok)
    }

    private static func path(_ request: Request) throws -> String {
        guard let path = Query(request)["path"], !path.isEmpty else {
            throw DockerAPIError.badRequest("bad parameter: path cannot be empty")
        }
        return path
    }

    /// Go's os.FileMode bits (the CLI decodes them): directory and symlink flags sit in the high bits.
    private static func encode(_ stat: PathStat) -> String {
        var mode = stat.mode & 0o777
        switch stat.mode & 0o170000 {
        case 0o040000: mode |= 1 << 31
        case 0o120000: mode |= 1 << 27
        case 0o060000: mode |= 1 << 26
        case 0o020000: mode |= 1 << 26 | 1 << 21
        case 0o010000: mode |= 1 << 25
        case 0o140000: mode |= 1 << 24
        default: break
        }
        if stat.mode & 0o4000 != 0 { mode |= 1 << 23 }
        if stat.mode & 0o2000 != 0 { mode |= 1 << 22 }
        if stat.mode & 0o1000 != 0 { mode |= 1 << 20 }
        let wire = PathStatWire(name: stat.name, size: stat.size, mode: mode, mtime: Wire.rfc3339Nano(stat.mtime),
                            linkTarget: stat.linkTarget)
        return Data(Wire.encode(wire)).base64EncodedString()
    }
}

struct PathStatWire: Encodable, Sendable {
    var name: String
    var size: Int64
    var mode: UInt32
    var mtime: String
    var linkTarget: String
}
