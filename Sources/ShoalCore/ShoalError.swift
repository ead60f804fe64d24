/// The one error type of the project (DESIGN.md habit 3). Every layer throws it with a code a transport can map
/// (the Docker API maps codes to HTTP statuses), a message a user can act on, and the underlying cause if any.
public struct ShoalError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case notFound
        case conflict
        case invalidArgument
        case invalidState
        case unavailable
        case notImplemented
        case permissionDenied
        /// The caller did not prove who it is or what it holds (Docker answers 401), e.g. a wrong unlock key.
        case unauthenticated
        case internalError
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        guard let cause else { return message }
        return "\(message): \(cause)"
    }

    public static func notFound(_ message: String) -> ShoalError { .init(.notFound, message) }
    public static func conflict(_ message: String) -> ShoalError { .init(.conflict, message) }
    public static func invalidArgument(_ message: String) -> ShoalError { .init(.invalidArgument, message) }
    public static func invalidArgument(_ message: String, cause: (any Error)?) -> ShoalError {
        .init(.invalidArgument, message, cause: cause)
    }
    public static func invalidState(_ message: String) -> ShoalError { .init(.invalidState, message) }
    /// Refused by policy (Docker answers 403 Forbidden), e.g. removing a predefined network.
    public static func permissionDenied(_ message: String) -> ShoalError { .init(.permissionDenied, message) }
    public static func internalError(_ message: String, cause: (any Error)? = nil) -> ShoalError {
        .init(.internalError, message, cause: cause)
    }
}

extension ShoalError {
    /// Wraps any error as a `ShoalError`, keeping an existing one as it is.
    public static func wrap(_ error: any Error, _ message: String) -> ShoalError {
        if let error = error as? ShoalError { return error }
        return .internalError(message, cause: error)
    }
}
