import ShoalCore

/// How a container gets one of its kernel namespaces (`--pid`, `--uts`, `--ipc`, `--cgroupns`), in Docker's
/// terms: its own (Docker's default; for IPC `private`, or `shareable` so that others may join it, or `none`, its
/// own without /dev/shm), the host's, or another running container's (`container:NAME|ID`).
public enum NamespaceMode: Sendable, Equatable {
    case own
    case shareable
    case ownWithoutShm
    case host
    case container(String)

    /// `--pid`: "" (own), `host`, `container:X`.
    public static func pid(_ mode: String?) throws -> NamespaceMode {
        try parse(mode, allowed: [:], kind: "PID")
    }

    /// `--uts`: "" (own) or `host`.
    public static func uts(_ mode: String?) throws -> NamespaceMode {
        try parse(mode, allowed: [:], kind: "UTS", joinable: false)
    }

    /// `--ipc`: "" or `private` (own), `shareable`, `none`, `host`, `container:X`.
    public static func ipc(_ mode: String?) throws -> NamespaceMode {
        try parse(mode, allowed: ["private": .own, "shareable": .shareable, "none": .ownWithoutShm], kind: "IPC")
    }

    /// `--cgroupns`: `host` (the default on a cgroup v1 host like Docker's) or `private`.
    public static func cgroup(_ mode: String?) throws -> NamespaceMode {
        switch mode ?? "" {
        case "", "host": return .host
        case "private": return .own
        default: throw ShoalError.invalidArgument("invalid cgroup namespace mode: \(mode ?? "")")
        }
    }

    /// Docker's refusals at create (its daemon's verifyPlatformContainerSettings and runconfig's validateNetMode),
    /// with its messages.
    public static func validate(_ host: HostSpec, hostname: String?) throws {
        _ = try pid(host.pidMode)
        _ = try ipc(host.ipcMode)
        _ = try cgroup(host.cgroupnsMode)
        // The CLI's check (dockerd 20.10 takes any other value for its remapping): "" and `host` only.
        guard [nil, "host"].contains(host.usernsMode) else {
            throw ShoalError.invalidArgument("--userns: invalid USER mode")
        }
        if try uts(host.utsMode) == .host, !(hostname ?? "").isEmpty {
            throw ShoalError.invalidArgument("conflicting options: hostname and the UTS mode")
        }
    }

    /// The container named by `container:X`, if this mode joins one.
    public var container: String? {
        if case .container(let name) = self { return name }
        return nil
    }

    private static func parse(_ mode: String?, allowed: [String: NamespaceMode], kind: String,
                              joinable: Bool = true) throws -> NamespaceMode {
        let mode = mode ?? ""
        if mode.isEmpty { return .own }
        if mode == "host" { return .host }
        if let named = allowed[mode] { return named }
        if joinable, mode.hasPrefix("container:"), mode.count > "container:".count {
            return .container(String(mode.dropFirst("container:".count)))
        }
        throw ShoalError.invalidArgument("invalid \(kind) mode: \(mode)")
    }
}
