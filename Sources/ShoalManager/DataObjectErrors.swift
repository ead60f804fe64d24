import ShoalCore
import ShoalModel

/// Docker's answers for the secret and config calls: SwarmKit's control API words (passed on by the Docker daemon
/// as `rpc error: code = … desc = …`, see ServiceErrors for the statuses) and the daemon's own lookups by reference
/// (daemon/cluster/helpers.go). Each takes the kind, since Docker words both kinds alike.
enum DataObjectErrors {
    /// Docker's limit for either payload (SwarmKit's MaxSecretSize, and MaxConfigSize as Docker 20.10 has it).
    static let maximumSize = 500 * 1024

    static func nameTaken(_ kind: DataObjectKind, _ name: String) -> ShoalError {
        ShoalError.conflict("rpc error: code = AlreadyExists desc = \(kind) \(name) already exists")
    }

    static func notFound(_ kind: DataObjectKind, _ reference: String) -> ShoalError {
        ShoalError.notFound("\(kind) \(reference) not found")
    }

    static func ambiguous(_ kind: DataObjectKind, _ reference: String, matches: Int) -> ShoalError {
        ShoalError.invalidArgument("\(kind) \(reference) is ambiguous (\(matches) matches found)")
    }

    /// SwarmKit's RemoveSecret/RemoveConfig while services name the object.
    static func inUse(_ kind: DataObjectKind, _ name: String, services: [String]) -> ShoalError {
        ServiceErrors.invalidArgument("\(kind) '\(name)' is in use by the following "
            + (services.count == 1 ? "service" : "services") + ": " + services.joined(separator: ", "))
    }

    static var onlyLabels: ShoalError { ServiceErrors.invalidArgument("only updates to Labels are allowed") }

    static var nameMissing: ShoalError { ServiceErrors.invalidArgument("name must be provided") }

    static var invalidName: ShoalError {
        ServiceErrors.invalidArgument(
            "invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]")
    }

    static func payloadSize(_ kind: DataObjectKind) -> ShoalError {
        ServiceErrors.invalidArgument("\(kind) data must be larger than 0 and less than \(maximumSize) bytes")
    }

    static var driverWithoutName: ShoalError { ServiceErrors.invalidArgument("secret driver must have a name") }

    /// Docker asks the named secrets plugin; Shoal has no plugins.
    static func driverUnsupported(_ name: String) -> ShoalError {
        ShoalError(.notImplemented, "secret drivers are not supported: \(name)")
    }

    /// SwarmKit's checkSecretExistence/checkConfigExistence for a service spec.
    static func referencesNotFound(_ kind: DataObjectKind, _ names: [String]) -> ShoalError {
        ServiceErrors.invalidArgument("\(kind)\(names.count == 1 ? "" : "s") not found: "
            + names.joined(separator: ", "))
    }

    /// SwarmKit's validateSecretRefsSpec/validateConfigRefsSpec.
    static func malformedReference(_ kind: DataObjectKind) -> ShoalError {
        ServiceErrors.invalidArgument("malformed \(kind) reference")
    }

    static func malformedTarget(_ kind: DataObjectKind) -> ShoalError {
        ServiceErrors.invalidArgument("malformed file \(kind) reference, invalid target file name provided")
    }

    static func conflictingTarget(_ kind: DataObjectKind, _ first: String, _ second: String, target: String)
        -> ShoalError
    {
        ServiceErrors.invalidArgument(
            "\(kind) references '\(first)' and '\(second)' have a conflicting target: '\(target)'")
    }

    /// A manager without the data key cannot seal or open secrets (a swarm made before Shoal kept one).
    static var noDataKey: ShoalError {
        ShoalError.internalError("this manager holds no data key: secrets cannot be sealed or opened here")
    }

    static func otherDataKey(_ sealedWith: String, have: String) -> ShoalError {
        ShoalError.internalError("the secret was sealed with data key \(sealedWith), this manager holds \(have)")
    }
}
