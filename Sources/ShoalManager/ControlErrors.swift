import GRPCCore
import ShoalCore

/// ShoalError → gRPC status, at the control API's edge (handlers stay thin: decode, call the manager, encode).
enum ControlErrors {
    static func rpc(_ error: any Error) -> RPCError {
        if let error = error as? RPCError { return error }
        guard let error = error as? ShoalError else { return RPCError(code: .internalError, message: "\(error)") }
        let code: RPCError.Code =
            switch error.code {
            case .notFound: .notFound
            case .conflict: .alreadyExists
            case .invalidArgument: .invalidArgument
            case .invalidState: .failedPrecondition
            case .unavailable: .unavailable
            case .notImplemented: .unimplemented
            case .permissionDenied: .permissionDenied
            case .unauthenticated: .unauthenticated
            case .internalError: .internalError
            }
        return RPCError(code: code, message: error.message)
    }

    /// Runs a handler body, converting what it throws.
    static func mapping<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw rpc(error)
        }
    }
}
