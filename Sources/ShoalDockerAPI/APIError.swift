import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import ShoalCore

/// An error as the Docker API renders it: an HTTP status and `{"message": …}`.
struct DockerAPIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// Maps the project's error codes to the statuses Docker gives for the same conditions.
    init(_ error: any Error) {
        switch error {
        case let error as DockerAPIError:
            self = error
        case let error as ShoalError:
            self.init(Self.status(for: error.code), error.description)
        case let error as HTTPError:
            self.init(error.status, error.body ?? (error.status == .notFound ? "page not found" : "\(error.status)"))
        case is DecodingError:
            self.init(.badRequest, "invalid JSON: \(error)")
        case let error as NIOTooManyBytesError:
            self.init(.contentTooLarge, "request body too large" + (error.maxBytes.map { " (at most \($0) bytes)" } ?? ""))
        case let error as HTTPParserError:
            // The codec failed in the middle of a body (bad chunk framing, say) while a route read it: the
            // client's fault, as Go's net/http (and so dockerd) answers it, not the daemon's.
            self.init(.badRequest, "malformed request body: \(error)")
        default:
            self.init(.internalServerError, "\(error)")
        }
    }

    static func status(for code: ShoalError.Code) -> HTTPResponse.Status {
        switch code {
        case .notFound: .notFound
        case .conflict: .conflict
        case .invalidArgument: .badRequest
        case .invalidState: .conflict
        case .unavailable: .serviceUnavailable
        case .notImplemented: .notImplemented
        case .permissionDenied: .forbidden
        case .unauthenticated: .unauthorized
        case .internalError: .internalServerError
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        // A HEAD answer has no body: clients that keep the connection alive would read it as the next response.
        if request.method == .head {
            return Response(status: status, headers: [.contentType: "application/json"])
        }
        var buffer = ByteBuffer()
        buffer.writeBytes(Wire.encode(["message": message]))
        buffer.writeString("\n")
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }

    static func badRequest(_ message: String) -> DockerAPIError { .init(.badRequest, message) }
}

/// Turns every error a route throws into Docker's shape, so no client ever sees an empty 500.
struct DockerErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = DockerAPIError(error)
            if apiError.status.code >= 500 {
                context.logger.error("\(request.method) \(request.uri.path): \(apiError.message)")
            }
            throw apiError
        }
    }
}
