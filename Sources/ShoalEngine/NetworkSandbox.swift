import Foundation
import ShoalCore
import ShoalModel
import ShoalRuntime

/// The point where a container's network sandbox is attached and detached. The engine calls it at create (to
/// check and normalise the networks asked for), at start, after exit, on connect/disconnect and at daemon start
/// for containers that kept running. Everything network-specific lives behind it (NetworkService).
public protocol NetworkSandboxProvider: Sendable {
    /// Checks the networks a new container asks for and names them canonically (unknown networks fail before
    /// anything is recorded).
    func prepare(_ spec: ContainerSpec) async throws -> ContainerSpec
    /// Builds the sandbox; writes the container's `hosts`, `resolv.conf` and `hostname` into `directory`.
    func attach(_ record: ContainerRecord, directory: String) async throws -> SandboxAttachment
    /// Undoes `attach` (idempotent: called after every exit and on removal).
    func detach(_ record: ContainerRecord) async
    /// Takes back a sandbox that outlived a daemon restart (its container kept running).
    func restore(_ record: ContainerRecord) async
    /// `docker network connect` / `disconnect` on a running container; returns its new network state.
    func connect(_ record: ContainerRecord, network: String, request: EndpointRequest) async throws
        -> ContainerNetworkState
    func disconnect(_ record: ContainerRecord, network: String) async throws -> ContainerNetworkState
    /// Canonical name of a network reference (name, ID or ID prefix), for connect on stopped containers.
    func networkName(_ reference: String) async throws -> String
    /// The container's name changed: its DNS names follow.
    func renamed(_ record: ContainerRecord) async
}

public struct SandboxAttachment: Sendable {
    public var network: ContainerSpecOptions.NetworkMode
    /// Host files bind-mounted over /etc/hosts, /etc/resolv.conf, /etc/hostname.
    public var files: [(source: String, destination: String)]
    /// Interfaces, addresses and ports, recorded with the container while it runs.
    public var state: ContainerNetworkState
    /// The user namespace that owns the sandbox's network namespace (a remapped container joins both).
    public var userNamespace: String?

    public init(network: ContainerSpecOptions.NetworkMode, files: [(source: String, destination: String)],
                state: ContainerNetworkState = ContainerNetworkState(), userNamespace: String? = nil) {
        self.network = network
        self.files = files
        self.state = state
        self.userNamespace = userNamespace
    }
}

/// The kernel's host name (never a DNS lookup, which Foundation's `hostName` may do).
enum KernelHostName {
    static func read() -> String {
        (try? String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "localhost"
    }
}
