import Foundation
import ShoalNetlink
import ShoalTestSupport

/// A network namespace of one test, named `shnl-<random>` and bound at /run/netns. Everything a test creates lives
/// in one of these; the test run's cleanup deletes the namespace and with it every link inside it.
struct TestNamespace: Sendable {
    let name: String

    var path: String { "/run/netns/\(name)" }

    init(_ run: TestRun) async throws {
        name = "shnl-" + String(UInt32.random(in: .min ... .max), radix: 16)
        try await Shell.must(["ip", "netns", "add", name])
        let name = self.name
        run.onCleanup("delete netns \(name)") { _ = try? await Shell.run(["ip", "netns", "del", name]) }
    }

    /// `ip -n NAME args…`; throws on failure.
    @discardableResult
    func ip(_ args: String...) async throws -> String { try await Shell.must(["ip", "-n", name] + args) }

    @discardableResult
    func ip(_ args: [String]) async throws -> String { try await Shell.must(["ip", "-n", name] + args) }

    /// `ip -n NAME -j args…` decoded as JSON.
    func ipJSON<T: Decodable>(_ type: T.Type, _ args: String...) async throws -> T {
        try JSONDecoder().decode(T.self, from: Data(try await Shell.must(["ip", "-n", name, "-j"] + args).utf8))
    }

    /// `bridge -n NAME -j args…` decoded as JSON.
    func bridgeJSON<T: Decodable>(_ type: T.Type, _ args: String...) async throws -> T {
        let out = try await Shell.must(["bridge", "-n", name, "-j"] + args)
        return try JSONDecoder().decode(T.self, from: Data((out.isEmpty ? "[]" : out).utf8))
    }

    /// The index `ip` reports for a link (independent of the code under test).
    func index(of link: String) async throws -> Int32 {
        let links = try await ipJSON([IPLink].self, "link", "show", "dev", link)
        guard let first = links.first else { throw CommandFailure(command: ["ip", "link", link], status: 0, stderr: "none") }
        return first.ifindex
    }

    func session() throws -> NetlinkSession { try NetlinkSession(namespacePath: path) }

    /// An open fd of the namespace file; close it when done.
    func openFD() throws -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CommandFailure(command: ["open", path], status: errno, stderr: "") }
        return fd
    }
}

/// The fields of `ip -j` output the tests look at.
struct IPLink: Decodable {
    let ifindex: Int32
    let ifname: String
    let flags: [String]
    let mtu: UInt32
    let master: String?
    let address: String?
    let linkinfo: LinkKind?

    struct LinkKind: Decodable { let info_kind: String? }
}

struct IPAddressList: Decodable {
    let ifindex: Int32?
    let ifname: String?
    let addr_info: [Entry]

    struct Entry: Decodable {
        let family: String
        let local: String
        let prefixlen: UInt8
        let broadcast: String?
    }
}

struct IPRoute: Decodable {
    let dst: String
    let gateway: String?
    let dev: String?
}

struct IPNeighbour: Decodable {
    let dst: String
    let dev: String?
    let lladdr: String?
    let state: [String]?
}

struct BridgeFDB: Decodable {
    let mac: String
    let dst: String?
    let flags: [String]?
    let state: String?
}
