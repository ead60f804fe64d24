import ShoalCore

/// A container's logging driver and its options (Docker's `HostConfig.LogConfig`), stored as given.
///
/// Docker checks a log config twice: the driver's name and the options' names when the container is created
/// (`validate()`), the options' values when the logger starts, at each start (`LogPolicy(_:)`). Both keep
/// Docker 20.10's messages, since scripts and users match on them.
public struct LogConfig: Codable, Sendable, Equatable {
    public var type: String
    public var config: [String: String]

    /// Docker's default driver (`docker info`'s LoggingDriver).
    public static let defaultDriver = "json-file"
    /// The drivers this engine runs, as `docker info` lists them under Plugins.Log (`none` is no driver).
    public static let drivers = ["journald", "json-file", "local"]

    public init(type: String = LogConfig.defaultDriver, config: [String: String] = [:]) {
        self.type = type.isEmpty ? Self.defaultDriver : type
        self.config = config
    }

    /// Options every driver takes (the daemon's, not the driver's), and the dual-logging cache's.
    static let builtInOptions: Set<String> = [
        "mode", "max-buffer-size", "cache-disabled", "cache-max-size", "cache-max-file", "cache-compress",
    ]

    /// The options each driver knows (its own validator's list).
    static let driverOptions: [String: Set<String>] = [
        "json-file": ["max-file", "max-size", "compress", "labels", "labels-regex", "env", "env-regex", "tag"],
        "local": ["max-file", "max-size", "compress"],
        "journald": ["labels", "labels-regex", "env", "env-regex", "tag"],
    ]

    /// Create-time checks, in Docker's order: `none` takes anything; then the logging mode, the buffer size,
    /// the cache switch, whether the driver exists, and the names of the driver's own options.
    public func validate() throws {
        if type == "none" { return }
        let mode = config["mode"] ?? ""
        guard ["", "blocking", "non-blocking"].contains(mode) else {
            throw ShoalError.invalidArgument("logger: logging mode not supported: \(mode)")
        }
        if let size = config["max-buffer-size"] {
            guard mode == "non-blocking" else {
                throw ShoalError.invalidArgument(
                    "logger: max-buffer-size option is only supported with 'mode=non-blocking'")
            }
            do { _ = try HumanSize.bytes(size, binary: true) } catch let error as ShoalError {
                throw ShoalError.invalidArgument("error parsing option max-buffer-size: \(error.message)")
            }
        }
        if let disabled = config["cache-disabled"], !disabled.isEmpty, GoParse.bool(disabled) == nil {
            throw ShoalError.invalidArgument("invalid value for option cache-disabled: \(disabled)")
        }
        guard let known = Self.driverOptions[type] else {
            throw ShoalError.invalidArgument("logger: no log driver named '\(type)' is registered")
        }
        // Docker ranges over a map: with several unknown options, it names any one of them.
        let unknown = config.keys.sorted().first { !Self.builtInOptions.contains($0) && !known.contains($0) }
        if let unknown {
            throw ShoalError.invalidArgument(type == "local"
                ? "unknown log opt '\(unknown)' for log driver local"
                : "unknown log opt '\(unknown)' for \(type) log driver")
        }
    }
}

/// What a started logger does with the log: keep it (rotated or not), or not at all.
public struct LogPolicy: Sendable, Equatable {
    /// Whether a log is kept and `docker logs` can read it (false for `none`).
    public var keepsLog: Bool
    /// Rotate once the live file reaches this many bytes (nil: never).
    public var maxSize: Int64?
    /// Files kept in all, the live one included (at least 1).
    public var maxFiles: Int
    /// Whether entries also go to the systemd journal.
    public var journald: Bool

    public init(keepsLog: Bool = true, maxSize: Int64? = nil, maxFiles: Int = 1, journald: Bool = false) {
        self.keepsLog = keepsLog
        self.maxSize = maxSize
        self.maxFiles = maxFiles
        self.journald = journald
    }

    /// `local`'s defaults: 20 MiB files, five of them (compressed in Docker; the API cannot tell).
    public static let localMaxSize: Int64 = 20 * 1024 * 1024
    public static let localMaxFiles = 5

    /// Start-time parsing of the options' values, with the driver's own messages (the caller prefixes them
    /// with "failed to initialize logging driver: ", as Docker does).
    public init(_ config: LogConfig) throws {
        switch config.type {
        case "none":
            self.init(keepsLog: false)
        case "local":
            try self.init(local: config.config)
        case "journald":
            // Entries go to the journal; a local copy, bounded like `local`'s files, serves `docker logs`
            // (Docker reads them back from the journal).
            self.init(maxSize: Self.localMaxSize, maxFiles: Self.localMaxFiles, journald: true)
        default:
            try self.init(jsonFile: config.config)
        }
    }

    private init(jsonFile options: [String: String]) throws {
        var maxSize: Int64?
        if let text = options["max-size"] {
            let size = try HumanSize.bytes(text, binary: false)
            guard size > 0 else { throw ShoalError.invalidArgument("max-size must be a positive number") }
            maxSize = size
        }
        var maxFiles = 1
        if let text = options["max-file"] {
            maxFiles = try GoParse.int(text)
            guard maxFiles >= 1 else { throw ShoalError.invalidArgument("max-file cannot be less than 1") }
        }
        if let text = options["compress"] {
            guard let compress = GoParse.bool(text) else { throw GoParse.boolError(text) }
            if compress && (maxFiles == 1 || maxSize == nil) {
                throw ShoalError.invalidArgument(
                    "compress cannot be true when max-file is less than 2 or max-size is not set")
            }
        }
        self.init(maxSize: maxSize, maxFiles: maxFiles)
    }

    private init(local options: [String: String]) throws {
        var maxSize = Self.localMaxSize
        if let text = options["max-size"] {
            do { maxSize = try HumanSize.bytes(text, binary: false) } catch let error as ShoalError {
                throw ShoalError.invalidArgument("invalid value for max-size: \(text): \(error.message)")
            }
        }
        var maxFiles = Self.localMaxFiles
        if let text = options["max-file"] {
            do { maxFiles = try GoParse.int(text) } catch let error as ShoalError {
                throw ShoalError.invalidArgument("invalid value for max-file: \(text): \(error.message)")
            }
        }
        var compress = true
        if let text = options["compress"] {
            guard let value = GoParse.bool(text) else {
                let reason = GoParse.boolError(text).message
                throw ShoalError.invalidArgument("error reading compress log option: \(reason)")
            }
            compress = value
        }
        guard maxFiles >= 0 else { throw ShoalError.invalidArgument("max file count cannot be less than 0") }
        if compress && maxFiles <= 1 {
            throw ShoalError.invalidArgument("compression cannot be enabled when max file count is 1")
        }
        // A size of 0 means no limit (the files never fill up).
        self.init(maxSize: maxSize > 0 ? maxSize : nil, maxFiles: max(maxFiles, 1))
    }
}
