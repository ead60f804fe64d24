import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A node of the swarm as the cluster endpoint needs it.
public struct ClusterNode: Sendable, Equatable {
    public var id: String
    public var hostname: String
    /// Its advertise address (the node engine channel listens there; `docker port` prints it).
    public var address: String
    public var ready: Bool
    /// Marked Down by the managers (failed, not merely drained): its rescheduled containers move.
    public var down: Bool
    /// The node's labels (`docker node update --label-add`) and its engine's facts, as classic filters see them.
    public var labels: [String: String]
    public var nanoCPUs: Int64
    public var memoryBytes: Int64

    public init(id: String, hostname: String, address: String, ready: Bool, down: Bool = false,
                labels: [String: String] = [:], nanoCPUs: Int64 = 0, memoryBytes: Int64 = 0) {
        self.id = id
        self.down = down
        self.hostname = hostname
        self.address = address
        self.ready = ready
        self.labels = labels
        self.nanoCPUs = nanoCPUs
        self.memoryBytes = memoryBytes
    }
}

/// A request for one node's engine: the Docker API path (without the version prefix) and query.
public struct EngineRequest: Sendable {
    public var method: HTTPRequest.Method
    public var uri: String
    public var headers: HTTPFields
    public var body: ByteBuffer?
    /// A body passed on as it arrives instead (`docker cp` into a container: an archive of any size).
    public var streamedBody: RequestBody?

    public init(method: HTTPRequest.Method, uri: String, headers: HTTPFields = [:], body: ByteBuffer? = nil,
                streamedBody: RequestBody? = nil) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
        self.streamedBody = streamedBody
    }
}

/// An engine's answer, its body as it arrives (a `logs -f` never ends by itself).
public struct EngineResponse: Sendable {
    public var status: HTTPResponse.Status
    public var headers: HTTPFields
    public var body: AsyncThrowingStream<ByteBuffer, any Error>

    public init(status: HTTPResponse.Status, headers: HTTPFields, body: AsyncThrowingStream<ByteBuffer, any Error>) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The whole body (calls whose answers are small: lists, inspect, create).
    public func collect(upTo limit: Int = 64 << 20) async throws -> ByteBuffer {
        var all = ByteBuffer()
        for try await chunk in body {
            all.writeImmutableBuffer(chunk)
            guard all.readableBytes <= limit else { throw EngineCallError.tooLarge }
        }
        return all
    }
}

enum EngineCallError: Error {
    case tooLarge
}

/// The seam between the cluster endpoint and the swarm: which nodes there are, and a way to each one's engine.
public protocol NodeEngines: Sendable {
    func nodes() async throws -> [ClusterNode]
    func send(_ request: EngineRequest, to node: ClusterNode) async throws -> EngineResponse
    /// A new connection to the node's engine, its TLS handshake done (for a hijacked stream: attach, exec).
    func connect(to node: ClusterNode) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer>
}
