/// The error every ShoalCA function throws. It has the shape of ShoalCore's `ShoalError` (code, a message a
/// user can act on, the cause) so it maps onto it one to one once ShoalCA depends on ShoalCore.
/// Messages follow Docker and Go's x509 package where those have one (`invalid join token`,
/// `x509: certificate signed by unknown authority`, …) because users search for them.
public struct CAError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Malformed input: a token, PEM, CSR, IP address or parameter.
        case invalidArgument
        /// A trust check failed: wrong CA, bad signature, expired certificate, CA digest mismatch.
        case permissionDenied
        /// The operation needs something this value lacks (e.g. signing without the CA key).
        case invalidState
        /// Unexpected failure of the crypto library or the file system.
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

    static func invalidArgument(_ message: String, cause: (any Error)? = nil) -> CAError {
        .init(.invalidArgument, message, cause: cause)
    }

    static func permissionDenied(_ message: String) -> CAError { .init(.permissionDenied, message) }

    static func internalError(_ message: String, cause: (any Error)? = nil) -> CAError {
        .init(.internalError, message, cause: cause)
    }
}
