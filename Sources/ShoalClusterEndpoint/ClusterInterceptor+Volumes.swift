import Foundation
import Hummingbird
import NIOCore
import ShoalCore

/// Volumes and events on the cluster endpoint, as classic Swarm handled them: a volume is made on every Ready
/// node (a container placed anywhere finds it), listed as `NODE/NAME` once per node that has it, removed from every
/// node that has it (or from one node with `NODE/NAME`); `docker events` merges every node's events, each with the
/// node it happened on.
extension ClusterInterceptor {
    func volumeCall(_ request: Request, parts: [String]) async throws -> Response {
        let nodes = try await engines.nodes().filter(\.ready)
        switch (request.method, parts.count) {
        case (.get, 1):
            var merged: [[String: Any]] = []
            for (node, answer) in try await everyNode(EngineRequest(method: .get, uri: request.uri.description), nodes) {
                for var volume in (answer as? [String: Any])?["Volumes"] as? [[String: Any]] ?? [] {
                    volume["Name"] = "\(node.hostname)/\(volume["Name"] as? String ?? "")"
                    merged.append(volume)
                }
            }
            return Self.json(try JSONSerialization.data(withJSONObject: ["Volumes": merged, "Warnings": [String]()]))
        case (.post, 2) where parts[1] == "create":
            let body = try await request.body.collect(upTo: 1 << 20)
            let made = try await everyNode(EngineRequest(method: .post, uri: "/volumes/create", headers: request.headers,
                                                         body: body), nodes, status: .created)
            guard made.count == nodes.count, let first = made.first?.answer else {
                throw ShoalError(.unavailable, "the volume could not be made on every node (\(made.count) of \(nodes.count))")
            }
            return Response(status: .created, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: first))))
        default:
            // `NODE/NAME`: that node's volume; `NAME`: every node's volume of that name.
            var targets = nodes
            var name = parts[1]
            if parts.count >= 3, let node = nodes.first(where: { $0.hostname == parts[1] }) {
                targets = [node]
                name = parts[2]
            }
            let query = request.uri.query.map { "?" + $0 } ?? ""
            var found: (node: ClusterNode, bytes: ByteBuffer, status: HTTPResponse.Status)?
            for node in targets {
                let answer = try await engines.send(
                    EngineRequest(method: request.method, uri: "/volumes/\(name)" + query, headers: request.headers), to: node)
                let bytes = try await answer.collect()
                if answer.status.code < 300 {
                    found = (node, bytes, answer.status)
                    if request.method == .get { break }
                } else if answer.status != .notFound {
                    return Response(status: answer.status, headers: answer.headers, body: .init(byteBuffer: bytes))
                }
            }
            guard let found else {
                throw ShoalError.notFound("get \(name): no such volume")
            }
            return Response(status: found.status, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: found.bytes))
        }
    }

    /// Every node's events as one stream, each event with its node (classic Swarm's `node` object).
    func events(_ request: Request) async throws -> Response {
        let nodes = try await engines.nodes().filter(\.ready)
        let engines = self.engines
        let outgoing = EngineRequest(method: .get, uri: request.uri.description)
        let (lines, sink) = AsyncStream.makeStream(of: ByteBuffer.self)
        let streams = Task {
            await withTaskGroup(of: Void.self) { group in
                for node in nodes {
                    group.addTask {
                        guard let answer = try? await engines.send(outgoing, to: node), answer.status == .ok else { return }
                        var pending = ByteBuffer()
                        do {
                            for try await var chunk in answer.body {
                                pending.writeBuffer(&chunk)
                                while let line = Self.nextLine(&pending) {
                                    guard var event = try? JSONSerialization.jsonObject(with: Data(line.readableBytesView))
                                        as? [String: Any] else { continue }
                                    event["node"] = ["Name": node.hostname, "Id": node.id, "Addr": "\(node.address):2376",
                                                     "Ip": node.address]
                                    var out = ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: event)) ?? Data())
                                    out.writeString("\n")
                                    sink.yield(out)
                                }
                            }
                        } catch {}
                    }
                }
            }
            sink.finish()
        }
        sink.onTermination = { _ in streams.cancel() }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(asyncSequence: lines))
    }
}
