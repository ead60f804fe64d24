/// A container's `--security-opt` list (HostConfig.SecurityOpt) read as Docker reads it: `no-new-privileges[=bool]`,
/// `seccomp=unconfined|builtin|<profile JSON>`, `apparmor=PROFILE`, `label=…` (kept, and without SELinux on the
/// host ignored, as Docker does), `writable-cgroups[=bool]`. `key:value` is the old spelling of `key=value`.
/// (`systempaths=unconfined` never arrives here: the CLI turns it into empty MaskedPaths and ReadonlyPaths.)
public struct SecurityOptions: Sendable, Equatable {
    public enum Seccomp: Sendable, Equatable {
        /// Docker's default profile (`SeccompProfile.dockerDefault`).
        case builtin
        /// No filter.
        case unconfined
        /// A profile in Docker's format, parsed.
        case profile(SeccompProfile)
    }

    public var noNewPrivileges = false
    public var seccomp = Seccomp.builtin
    public var appArmorProfile: String?
    public var labels: [String] = []
    public var writableCgroups: Bool?

    public init() {}

    /// Parses the list; a bad option or a profile Docker could not read fails with Docker's message (Docker
    /// answers these with 500, so the error says nothing about the caller).
    public static func parse(_ options: [String]) throws -> SecurityOptions {
        var result = SecurityOptions()
        for option in options {
            switch option {
            case "no-new-privileges":
                result.noNewPrivileges = true
                continue
            case "writable-cgroups":
                result.writableCgroups = true
                continue
            case "disable":
                result.labels.append("disable")
                continue
            default: break
            }
            let separator: Character
            if option.contains("=") {
                separator = "="
            } else if option.contains(":") {
                separator = ":"
            } else {
                throw SecurityOptionError("invalid --security-opt 1: \"\(option)\"")
            }
            let parts = option.split(separator: separator, maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]), value = parts.count > 1 ? String(parts[1]) : ""
            switch key {
            case "label":
                result.labels.append(value)
            case "apparmor":
                result.appArmorProfile = value
            case "seccomp":
                switch value {
                case "unconfined": result.seccomp = .unconfined
                case "builtin", "": result.seccomp = .builtin
                default: result.seccomp = .profile(try SeccompProfile.parse(value))
                }
            case "no-new-privileges":
                guard let flag = parseBool(value) else { throw SecurityOptionError("invalid --security-opt 2: \"\(option)\"") }
                result.noNewPrivileges = flag
            case "writable-cgroups":
                guard let flag = parseBool(value) else { throw SecurityOptionError("invalid --security-opt 2: \"\(option)\"") }
                result.writableCgroups = flag
            default:
                throw SecurityOptionError("invalid --security-opt 2: \"\(option)\"")
            }
        }
        return result
    }

    /// Go's strconv.ParseBool: the spellings Docker accepts for `no-new-privileges=…`.
    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": true
        case "0", "f", "F", "FALSE", "false", "False": false
        default: nil
        }
    }
}
