import Foundation
import Glibc
import ShoalCore
import ShoalNFTables
import ShoalOS
import ShoalTestSupport
import Testing
@testable import ShoalNetwork

/// ServiceBalancer on the real kernel: a client sandbox and three backend sandboxes on one overlay (BalancerLab),
/// the balancer applied in the client's namespace. Asserts where connections land and how they fail, never how
/// long anything takes. Root only; everything lives in namespaces the test makes and removes.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for network namespaces and nft"))
struct ServiceBalancerTests {
    let vip = BalancerLab.vip, port = BalancerLab.port

    @Test func newConnectionsSpreadOverTheBackendsAndFollowEachUpdate() async throws {
        try await TestRun.with("vip") { run in
            let lab = try await BalancerLab.make(run, backends: 3)
            let client = lab.clientSandbox
            let address = { (name: String) in lab.backends[name]!.address }
            run.onCleanup("remove the balancer") { try? await ServiceBalancer.remove(inNetns: client) }

            // Before the balancer the VIP is nobody's address (the failure may wait for ARP; its kind is not asked).
            if case .answer(let name) = try await ask(vip, in: client) { Issue.record("\(name) answered the bare VIP") }
            let all = ["b1", "b2", "b3"].map(address)
            try await ServiceBalancer.apply([BalancedService(vip: vip, backends: all)], inNetns: client)
            try await ServiceBalancer.apply([BalancedService(vip: vip, backends: all)], inNetns: client)  // converges
            #expect(try await lab.listBalancerTable(in: client)?.contains("numgen random mod 3") == true)

            let first = try await answers(60, in: client)
            #expect(Set(first.keys) == ["b1", "b2", "b3"], "\(first)")
            #expect(first.values.reduce(0, +) == 60)

            // Keep one connection to b2 open across the update (1/3 of new connections land there).
            let kept = try await NetworkNamespace.run(in: client) { [vip, port] () -> Int32 in
                for _ in 0..<200 {
                    let (fd, outcome) = TCPProbe.connect(vip, port)
                    if outcome == .answer("b2") { return fd }
                    if fd >= 0 { close(fd) }
                }
                return -1
            }
            try #require(kept >= 0, "no connection reached b2 in 200 tries")
            defer { close(kept) }

            try await ServiceBalancer.apply([BalancedService(vip: vip, backends: [address("b1"), address("b3")])],
                                            inNetns: client)
            let second = try await answers(60, in: client)
            #expect(Set(second.keys) == ["b1", "b3"], "\(second)")
            // The established connection still reaches b2 (conntrack keeps its translation).
            #expect(try await NetworkNamespace.run(in: client) { TCPProbe.ask(on: kept) } == .answer("b2"))

            // No backends: refused at once, not left to time out.
            try await ServiceBalancer.apply([BalancedService(vip: vip, backends: [])], inNetns: client)
            let refused = try await ask(vip, in: client)
            #expect(refused == .failed(ECONNREFUSED), "\(refused)")
            // Only the VIP is touched: a backend's own address still answers.
            #expect(try await ask(address("b1"), in: client) == .answer("b1"))

            try await ServiceBalancer.remove(inNetns: client)
            #expect(try await lab.listBalancerTable(in: client) == nil)
            try await ServiceBalancer.remove(inNetns: client)  // quiet when gone
            try await ServiceBalancer.apply([], inNetns: client)  // no services: no table
            #expect(try await lab.listBalancerTable(in: client) == nil)
        }
    }

    @Test("a namespace named by a process (/proc/PID/ns/net); bad models and gone namespaces are refused")
    func processNamespacesAndErrors() async throws {
        try await TestRun.with("vip") { run in
            let lab = try await BalancerLab.make(run, backends: 1)
            let b1 = lab.backends["b1"]!
            let byPID = "/proc/\(lab.serverPIDs["b1"]!)/ns/net"
            try await ServiceBalancer.apply([BalancedService(vip: vip, backends: [b1.address])], inNetns: byPID)
            #expect(try await lab.listBalancerTable(in: b1.sandbox)?.contains("dnat to \(b1.address)") == true)
            try await ServiceBalancer.remove(inNetns: byPID)
            #expect(try await lab.listBalancerTable(in: b1.sandbox) == nil)

            await #expect(throws: ShoalError.self) {
                try await ServiceBalancer.apply([BalancedService(vip: "10.98.0.300", backends: [])], inNetns: byPID)
            }
            let gone = run.path("no-such-namespace")
            await #expect(throws: ShoalError.self) {
                try await ServiceBalancer.apply([BalancedService(vip: vip, backends: [])], inNetns: gone)
            }
            try await ServiceBalancer.remove(inNetns: gone)
        }
    }

    /// `count` new connections to the VIP from `sandbox`: how many each backend answered (failures under "error …").
    private func answers(_ count: Int, in sandbox: String) async throws -> [String: Int] {
        try await NetworkNamespace.run(in: sandbox) { [vip, port] in
            var seen: [String: Int] = [:]
            for _ in 0..<count {
                switch TCPProbe.ask(vip, port) {
                case .answer(let name): seen[name, default: 0] += 1
                case .failed(let code): seen["error \(code)", default: 0] += 1
                }
            }
            return seen
        }
    }

    private func ask(_ address: String, in sandbox: String) async throws -> TCPProbe.Outcome {
        try await NetworkNamespace.run(in: sandbox) { [port] in TCPProbe.ask(address, port) }
    }
}
