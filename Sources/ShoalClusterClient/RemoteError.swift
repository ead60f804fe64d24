import GRPCCore
import ShoalCore

/// Turns a failed control API call into the project's error, worded as Docker shows a manager's gRPC errors
/// (`rpc error: code = InvalidArgument desc = …`).
enum RemoteError {
    static func shoal(_ error: any Error, address: String) -> ShoalError {
        if let error = error as? ShoalError { return error }
        guard let rpc = error as? RPCError else {
            return ShoalError(.unavailable, "cannot reach the manager at \(address)", cause: error)
        }
        let (code, name): (ShoalError.Code, String) =
            switch rpc.code {
            case .invalidArgument: (.invalidArgument, "InvalidArgument")
            case .permissionDenied: (.permissionDenied, "PermissionDenied")
            case .unauthenticated: (.permissionDenied, "Unauthenticated")
            case .notFound: (.notFound, "NotFound")
            case .alreadyExists: (.conflict, "AlreadyExists")
            case .failedPrecondition: (.invalidState, "FailedPrecondition")
            case .unimplemented: (.notImplemented, "Unimplemented")
            case .unavailable, .deadlineExceeded:
                (.unavailable, rpc.code == .unavailable ? "Unavailable" : "DeadlineExceeded")
            default: (.internalError, "Unknown")
            }
        return ShoalError(code, "rpc error: code = \(name) desc = \(rpc.message)")
    }

    /// The same code, with the manager's message as it wrote it (calls whose answers are already worded for the
    /// user, e.g. the network calls).
    static func plain(_ error: any Error, address: String) -> ShoalError {
        let converted = shoal(error, address: address)
        guard let rpc = error as? RPCError else { return converted }
        return ShoalError(converted.code, rpc.message)
    }
}
