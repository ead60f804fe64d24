import Foundation
import Hummingbird
import ShoalCore
import ShoalModel

/// `GET /services/{id}/logs` and `GET /tasks/{id}/logs` (Docker's swarm router, swarmLogs): everything that can
/// fail with a status (the streams asked for, the service or task, the tail) is checked before the stream starts,
/// since the 200 goes out with its first byte. Lines are framed per stream (raw for a TTY service), each with its
/// details when asked (`details=1`: the CLI asks unless `--raw`, to print its `name.slot.id@node` prefix); a
/// failure once streaming goes out as Docker's "Error grabbing logs" on stdcopy's system-error stream.
struct TaskLogRoutes {
    let services: any ServiceBackend

    /// How often a following stream with nothing to say checks whether its client is still there (an empty
    /// write fails once the client has gone, which ends the subscription on every node).
    static var clientCheck: Duration { .seconds(1) }

    func serviceLogs(_ request: Request, reference: String) async throws -> Response {
        let query = Query(request)
        let options = try Self.options(query)
        let service = try await services.service(reference)
        return try await respond(TaskLogSelector(serviceIDs: [service.id]), options: options, query: query,
                                 tty: service.spec.taskTemplate.containerSpec.tty)
    }

    func taskLogs(_ request: Request, reference: String) async throws -> Response {
        let query = Query(request)
        let options = try Self.options(query)
        let task = try await services.task(reference)
        return try await respond(TaskLogSelector(taskIDs: [task.id]), options: options, query: query,
                                 tty: task.spec.containerSpec.tty)
    }

    /// Docker's checks and words: at least one stream; `tail` all (or empty) or a count.
    static func options(_ query: Query) throws -> LogOptions {
        var options = try query.logOptions()
        if let tail = query["tail"], tail != "all", !tail.isEmpty {
            // The daemon's own errors, without a status of their own (500).
            guard let count = Int(tail) else {
                throw DockerAPIError(.internalServerError, "tail value must be a positive integer or \"all\"")
            }
            guard count >= 0 else { throw DockerAPIError(.internalServerError, "negative tail values not supported") }
            options.tail = count
        }
        return options
    }

    private func respond(_ selector: TaskLogSelector, options: LogOptions, query: Query, tty: Bool) async throws
        -> Response
    {
        let lines = try await services.taskLogs(selector, options: options)
        let events = options.follow ? Self.ticking(lines, every: Self.clientCheck) : Self.plain(lines)
        let details = query.bool("details")
        let timestamps = options.timestamps
        return Response(
            status: .ok, headers: [.contentType: "application/vnd.docker.raw-stream"],
            body: ResponseBody { writer in
                var iterator = events.makeAsyncIterator()
                while true {
                    let event: Event?
                    do {
                        event = try await iterator.next()
                    } catch {
                        let text = Array("Error grabbing logs: \((error as? ShoalError)?.message ?? "\(error)")\n".utf8)
                        try await writer.write(tty ? ByteBuffer(bytes: text)
                            : StreamFraming.frame(streamType: StreamFraming.systemError, text))
                        break
                    }
                    switch event {
                    case nil:
                        try await writer.finish(nil)
                        return
                    case .tick:
                        try await writer.write(ByteBuffer())
                    case .line(let message):
                        let bytes = TaskLogWire.line(message, details: details, timestamps: timestamps)
                        try await writer.write(tty ? ByteBuffer(bytes: bytes) : StreamFraming.frame(message.entry.stream, bytes))
                    }
                }
                try await writer.finish(nil)
            })
    }

    enum Event: Sendable {
        case line(TaskLogMessage)
        /// Time to check the client (follow).
        case tick
    }

    static func plain(_ lines: AsyncThrowingStream<TaskLogMessage, any Error>) -> AsyncThrowingStream<Event, any Error> {
        merged(lines, every: nil)
    }

    /// The lines with a tick every `interval` in between.
    static func ticking(_ lines: AsyncThrowingStream<TaskLogMessage, any Error>, every interval: Duration)
        -> AsyncThrowingStream<Event, any Error>
    {
        merged(lines, every: interval)
    }

    /// One consumer for the response writer: the lines (held back while the client reads slowly) and the ticks.
    /// Stopping to read stops the relay, which stops reading `lines` (and so the subscription).
    private static func merged(_ lines: AsyncThrowingStream<TaskLogMessage, any Error>, every interval: Duration?)
        -> AsyncThrowingStream<Event, any Error>
    {
        let (events, continuation) = AsyncThrowingStream<Event, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(64))
        let relay = Task {
            do {
                for try await line in lines { try await continuation.yieldWaiting(.line(line)) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        let ticker = interval.map { interval in
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    // A full buffer has lines to write anyway: the tick may go.
                    continuation.yield(.tick)
                }
            }
        }
        continuation.onTermination = { _ in
            relay.cancel()
            ticker?.cancel()
        }
        return events
    }
}
