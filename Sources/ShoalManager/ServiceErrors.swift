import ShoalCore

/// Docker's answers for the service calls, worded as the Docker daemon passes SwarmKit's gRPC errors on
/// (`rpc error: code = … desc = …`) or as the daemon itself words them (lookups by reference). The code picks the
/// HTTP status the way Docker's API maps gRPC codes: InvalidArgument 400, NotFound 404, AlreadyExists 409,
/// Unimplemented 501, Unknown 500.
enum ServiceErrors {
    static func invalidArgument(_ description: String) -> ShoalError {
        ShoalError.invalidArgument("rpc error: code = InvalidArgument desc = \(description)")
    }

    /// SwarmKit's store refuses a second object with a name (ErrNameConflict), and the control API adds which.
    static func nameTaken(_ name: String) -> ShoalError {
        ShoalError.conflict(
            "rpc error: code = AlreadyExists desc = name conflicts with an existing object: service \(name) already exists")
    }

    /// The daemon's lookup of a service by ID, name or ID prefix (daemon/cluster/helpers.go).
    static func notFound(_ reference: String) -> ShoalError {
        ShoalError.notFound("service \(reference) not found")
    }

    static func ambiguous(_ reference: String, matches: Int) -> ShoalError {
        ShoalError.invalidArgument("service \(reference) is ambiguous (\(matches) matches found)")
    }

    static func taskNotFound(_ reference: String) -> ShoalError {
        ShoalError.notFound("task \(reference) not found")
    }

    static func taskAmbiguous(_ reference: String, matches: Int) -> ShoalError {
        ShoalError.invalidArgument("task \(reference) is ambiguous (\(matches) matches found)")
    }

    static func portInUse(_ port: UInt32, service: String, id: String, asHostPort: Bool) -> ShoalError {
        invalidArgument("port '\(port)' is already in use by service '\(service)' (\(id)) as "
            + (asHostPort ? "a host-published port" : "an ingress port"))
    }

    /// `docker service rollback` of a service never updated (the daemon's own check, before SwarmKit's).
    static var noPreviousSpec: ShoalError {
        ShoalError.invalidState("service does not have a previous spec")
    }

    static var modeChange: ShoalError {
        ShoalError(.notImplemented, "rpc error: code = Unimplemented desc = service mode change is not allowed")
    }

    static var rename: ShoalError {
        ShoalError(.notImplemented, "rpc error: code = Unimplemented desc = renaming services is not supported")
    }

}
