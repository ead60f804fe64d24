import Foundation
import Hummingbird
import NIOCore
import ShoalCore

/// Images on the cluster endpoint, as classic Swarm handled them: a pull happens on every Ready node, its
/// progress lines marked with the node's name (so `docker run` of an image no node has pulls it everywhere and
/// then places the container); `docker images` lists each image once.
extension ClusterInterceptor {
    func pullEverywhere(_ request: Request) async throws -> Response {
        let nodes = try await engines.nodes().filter(\.ready)
        guard !nodes.isEmpty else { throw ShoalError(.unavailable, "No healthy node available in the cluster") }
        let outgoing = EngineRequest(method: .post, uri: request.uri.description, headers: request.headers)
        let engines = self.engines
        let (lines, sink) = AsyncStream.makeStream(of: ByteBuffer.self)
        let pulls = Task {
            await withTaskGroup(of: Void.self) { group in
                for node in nodes {
                    group.addTask {
                        do {
                            let answer = try await engines.send(outgoing, to: node)
                            var pending = ByteBuffer()
                            for try await var chunk in answer.body {
                                pending.writeBuffer(&chunk)
                                while let line = Self.nextLine(&pending) {
                                    sink.yield(Self.progress(line, node: node.hostname, failed: answer.status != .ok))
                                }
                            }
                            if pending.readableBytes > 0 {
                                sink.yield(Self.progress(pending, node: node.hostname, failed: answer.status != .ok))
                            }
                        } catch {
                            sink.yield(Self.progress(ByteBuffer(bytes: Self.errorLine("\(error)")), node: node.hostname,
                                                     failed: true))
                        }
                    }
                }
            }
            sink.finish()
        }
        sink.onTermination = { _ in pulls.cancel() }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(asyncSequence: lines))
    }

    /// Every Ready node's images for the same query, each image (by ID) once.
    func imagesEverywhere(_ request: Request) async throws -> Response {
        let uri = request.uri.description
        var seen: Set<String> = []
        var merged: [[String: Any]] = []
        for (_, list) in try await everyNode(EngineRequest(method: .get, uri: uri)) {
            for image in list as? [[String: Any]] ?? [] {
                let id = image["Id"] as? String ?? ""
                if seen.insert(id).inserted { merged.append(image) }
            }
        }
        return Self.json(try JSONSerialization.data(withJSONObject: merged))
    }

    /// `docker rmi IMAGE`: removed from every Ready node that has it (each node's deletions listed); a node that
    /// refuses (the image in use there) gives the answer, the others keep their removal, as `docker rmi` run on
    /// each node would.
    func removeEverywhere(_ request: Request) async throws -> Response {
        let answers = await collectedAnswers(EngineRequest(method: .delete, uri: request.uri.description),
                                             from: try await engines.nodes())
        let removed = answers.filter { $0.status == .ok }
        // A node that refused (the image in use there) is the answer, as `docker rmi` on that node would be.
        if let refusal = answers.first(where: { $0.status != .ok && $0.status != .notFound })
            ?? (removed.isEmpty ? answers.first : nil) {
            return Response(status: refusal.status, headers: refusal.headers, body: .init(byteBuffer: refusal.bytes))
        }
        guard !removed.isEmpty else { throw ShoalError(.unavailable, "No healthy node available in the cluster") }
        let merged = removed.flatMap { answer in
            (try? JSONSerialization.jsonObject(with: Data(answer.bytes.readableBytesView))) as? [[String: Any]] ?? []
        }
        return Self.json(try JSONSerialization.data(withJSONObject: merged))
    }

    /// One progress line of a node's pull, marked with the node (`NODE: …` as classic Swarm printed them); a
    /// node's error stays an error line, so the CLI fails the pull.
    static func progress(_ line: ByteBuffer, node: String, failed: Bool) -> ByteBuffer {
        var object = (try? JSONSerialization.jsonObject(with: Data(line.readableBytesView)) as? [String: Any]) ?? [:]
        if object.isEmpty {
            let text = String(buffer: line).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { return ByteBuffer() }
            object = failed ? (try? JSONSerialization.jsonObject(with: Data(errorLine(text))) as? [String: Any]) ?? [:]
                : ["status": text]
        }
        // A node that refused before streaming answered Docker's `{"message": …}` with an error status.
        if failed, object["error"] == nil, let message = object["message"] as? String {
            object = ["error": message]
        }
        if let message = object["error"] as? String {
            object["error"] = "\(node): \(message)"
            object["errorDetail"] = ["message": "\(node): \(message)"]
        } else if let id = object["id"] as? String {
            object["id"] = "\(node): \(id)"
        } else if let status = object["status"] as? String {
            object["status"] = "\(node): \(status)"
        }
        var out = ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: object)) ?? Data())
        out.writeString("\r\n")
        return out
    }

    static func errorLine(_ message: String) -> Data {
        (try? JSONSerialization.data(withJSONObject: ["error": message, "errorDetail": ["message": message]])) ?? Data()
    }

    static func nextLine(_ buffer: inout ByteBuffer) -> ByteBuffer? {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let length = newline - buffer.readerIndex
        let line = buffer.readSlice(length: length)
        buffer.moveReaderIndex(forwardBy: 1)
        return line
    }
}
