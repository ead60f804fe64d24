import Foundation

/// A seccomp profile in Docker's format: the OCI `linux.seccomp` fields plus what only the daemon reads
/// (`archMap`, and per rule `includes`/`excludes` by capability, architecture and kernel version, and the old
/// single `name`). `SeccompResolver` turns it into the OCI form runc consumes, for one container on one host.
/// Users hand one in with `--security-opt seccomp=PROFILE.json` (the CLI sends the file's content).
public struct SeccompProfile: Codable, Sendable, Equatable {
    public var defaultAction: String
    public var defaultErrnoRet: UInt32?
    public var architectures: [String]?
    /// Per native architecture, the architectures a filter must also cover (x86_64 → x86, x32).
    public var archMap: [ArchitectureMapping]?
    public var flags: [String]?
    public var listenerPath: String?
    public var listenerMetadata: String?
    public var syscalls: [Rule]?

    public init(defaultAction: String, defaultErrnoRet: UInt32? = nil, architectures: [String]? = nil,
                archMap: [ArchitectureMapping]? = nil, syscalls: [Rule]? = nil) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.archMap = archMap
        self.syscalls = syscalls
    }

    // An absent defaultAction is the empty string, as Go reads it: with no rules either, the profile means
    // "no filter" (see SeccompResolver).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        defaultAction = try container.decodeIfPresent(String.self, forKey: .defaultAction) ?? ""
        defaultErrnoRet = try container.decodeIfPresent(UInt32.self, forKey: .defaultErrnoRet)
        architectures = try container.decodeIfPresent([String].self, forKey: .architectures)
        archMap = try container.decodeIfPresent([ArchitectureMapping].self, forKey: .archMap)
        flags = try container.decodeIfPresent([String].self, forKey: .flags)
        listenerPath = try container.decodeIfPresent(String.self, forKey: .listenerPath)
        listenerMetadata = try container.decodeIfPresent(String.self, forKey: .listenerMetadata)
        syscalls = try container.decodeIfPresent([Rule].self, forKey: .syscalls)
    }

    public struct ArchitectureMapping: Codable, Sendable, Equatable {
        public var architecture: String
        public var subArchitectures: [String]?
        public init(architecture: String, subArchitectures: [String]? = nil) {
            self.architecture = architecture
            self.subArchitectures = subArchitectures
        }
    }

    /// One rule: the syscalls it names, what happens to them, and when the rule applies at all.
    public struct Rule: Codable, Sendable, Equatable {
        /// The old single-name form; a rule may carry it or `names`, not both.
        public var name: String?
        public var names: [String]?
        public var action: String
        public var errnoRet: UInt32?
        public var args: [OCISpec.Seccomp.Argument]?
        public var comment: String?
        public var includes: Filter?
        public var excludes: Filter?

        public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [OCISpec.Seccomp.Argument]? = nil,
                    includes: Filter? = nil, excludes: Filter? = nil) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
            self.includes = includes
            self.excludes = excludes
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            names = try container.decodeIfPresent([String].self, forKey: .names)
            action = try container.decodeIfPresent(String.self, forKey: .action) ?? ""
            errnoRet = try container.decodeIfPresent(UInt32.self, forKey: .errnoRet)
            args = try container.decodeIfPresent([OCISpec.Seccomp.Argument].self, forKey: .args)
            comment = try container.decodeIfPresent(String.self, forKey: .comment)
            includes = try container.decodeIfPresent(Filter.self, forKey: .includes)
            excludes = try container.decodeIfPresent(Filter.self, forKey: .excludes)
        }
    }

    /// When a rule applies: capabilities of the container's bounding set, native architectures (libseccomp's
    /// names: amd64, arm64, x86 …) and the host kernel's `major.minor`.
    public struct Filter: Codable, Sendable, Equatable {
        public var caps: [String]?
        public var arches: [String]?
        public var minKernel: KernelVersion?
        public init(caps: [String]? = nil, arches: [String]? = nil, minKernel: KernelVersion? = nil) {
            self.caps = caps
            self.arches = arches
            self.minKernel = minKernel
        }
    }
}

extension SeccompProfile {
    /// Reads a user's profile (the JSON the CLI sent after `seccomp=`); fails with Docker's wording.
    public static func parse(_ json: String) throws -> SeccompProfile {
        do {
            return try JSONDecoder().decode(SeccompProfile.self, from: Data(json.utf8))
        } catch let error as KernelVersion.ParseError {
            throw SecurityOptionError("Decoding seccomp profile failed: " + error.message)
        } catch let error as DecodingError {
            throw SecurityOptionError("Decoding seccomp profile failed: " + Self.describe(error))
        }
    }

    /// Go's json package words these differently; this keeps the cause and where it is in the profile.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "" : " at " + keys.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "json: cannot unmarshal into field of type \(type)\(path(context))"
        case .valueNotFound(let type, let context):
            return "json: missing value of type \(type)\(path(context))"
        case .keyNotFound(let key, let context):
            return "json: missing key \(key.stringValue)\(path(context))"
        case .dataCorrupted(let context):
            if let underlying = context.underlyingError as? KernelVersion.ParseError { return underlying.message }
            return context.codingPath.isEmpty ? "invalid JSON" : "json: invalid value\(path(context))"
        @unknown default:
            return "invalid JSON"
        }
    }
}

/// A profile Docker would refuse; the message is Docker's.
public struct SecurityOptionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
