import ShoalCore

/// Short constructors for the `ShoalError`s this target throws.
enum RuntimeErrors {
    static func invalid(_ message: String) -> ShoalError { .invalidArgument(message) }
    static func noSuchContainer(_ id: String) -> ShoalError { .notFound("No such container: \(id)") }
}
