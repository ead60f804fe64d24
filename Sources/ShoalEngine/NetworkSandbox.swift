import Foundation
import ShoalCore
import ShoalModel
import ShoalRuntime

/// The point where a container's network sandbox is attached and detached. The engine calls it at start and
/// after exit; everything network-specific lives behind it. This provider knows `none` and `host`; the
/// networking issue plugs in bridge and overlay networks, DNS and published ports here.
public protocol NetworkSandboxProvider: Sendable {
    /// Validates a network mode at create time (unknown networks fail before anything is recorded).
    func validate(networkMode: String) throws
    /// Prepares the sandbox; writes the container's `hosts`, `resolv.conf` and `hostname` into `directory`.
    func attach(_ record: ContainerRecord, directory: String) async throws -> SandboxAttachment
    /// Undoes `attach` (idempotent: called after every exit and on removal).
    func detach(_ record: ContainerRecord) async
}

public struct SandboxAttachment: Sendable {
    public var network: ContainerSpecOptions.NetworkMode
    /// Host files bind-mounted over /etc/hosts, /etc/resolv.conf, /etc/hostname.
    public var files: [(source: String, destination: String)]

    public init(network: ContainerSpecOptions.NetworkMode, files: [(source: String, destination: String)]) {
        self.network = network
        self.files = files
    }
}

/// `--network none` (a namespace with only `lo`) and `--network host`. `default` and `bridge` mean `none`
/// until bridge networks land.
public struct HostLocalSandboxes: NetworkSandboxProvider {
    /// Upstream resolvers for containers (`--dns` of the daemon); the host's resolv.conf when empty.
    public var dns: [String]

    public init(dns: [String] = []) { self.dns = dns }

    public func validate(networkMode: String) throws {
        switch networkMode {
        case "default", "none", "host", "bridge": return
        default: throw ShoalError.notFound("network \(networkMode) not found")
        }
    }

    public func attach(_ record: ContainerRecord, directory: String) async throws -> SandboxAttachment {
        let host = record.spec.host.networkMode == "host"
        let hostname = host ? Self.hostName() : record.hostname
        var hosts = """
        127.0.0.1\tlocalhost
        ::1\tlocalhost ip6-localhost ip6-loopback
        fe00::0\tip6-localnet
        ff00::0\tip6-mcastprefix
        ff02::1\tip6-allnodes
        ff02::2\tip6-allrouters

        """
        if host, let hostHosts = try? String(contentsOfFile: "/etc/hosts", encoding: .utf8) {
            hosts = hostHosts
        }
        for entry in record.spec.host.extraHosts {
            let parts = entry.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { hosts += "\(parts[1])\t\(parts[0])\n" }
        }
        let resolv = resolvConf(servers: record.spec.host.dns)
        try hosts.write(toFile: directory + "/hosts", atomically: true, encoding: .utf8)
        try resolv.write(toFile: directory + "/resolv.conf", atomically: true, encoding: .utf8)
        try (hostname + "\n").write(toFile: directory + "/hostname", atomically: true, encoding: .utf8)
        return SandboxAttachment(
            network: host ? .host : .none,
            files: [(directory + "/hosts", "/etc/hosts"), (directory + "/resolv.conf", "/etc/resolv.conf"),
                    (directory + "/hostname", "/etc/hostname")])
    }

    public func detach(_ record: ContainerRecord) async {}

    /// The kernel's host name (never a DNS lookup, which Foundation's `hostName` may do).
    static func hostName() -> String {
        (try? String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "localhost"
    }

    /// The container's resolv.conf: its `--dns`, else the daemon's, else the host's file as Docker copies it.
    func resolvConf(servers: [String]) -> String {
        let chosen = servers.isEmpty ? dns : servers
        if !chosen.isEmpty {
            return chosen.map { "nameserver \($0)" }.joined(separator: "\n") + "\n"
        }
        return (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
    }
}
