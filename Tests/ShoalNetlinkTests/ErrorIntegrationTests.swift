import Foundation
import ShoalTestSupport
import Testing
import ShoalNetlink

@Suite struct ErrorIntegrationTests {
    private func netlinkError(of body: () throws -> Void) -> NetlinkError? {
        do {
            try body()
            return nil
        } catch let error as NetlinkError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func kernelErrorsSurfaceWithTheirErrno() async throws {
        try await TestRun.with("nl") { run in
            let ns = try await TestNamespace(run)
            let session = try ns.session()
            try session.linkAddBridge(name: "br0")
            let br0 = try #require(try session.linkIndex(name: "br0"))

            let exists = try #require(netlinkError { try session.linkAddBridge(name: "br0") })
            #expect(exists.errno == EEXIST)
            #expect(exists.description.hasPrefix("netlink: add link br0: File exists"))
            #expect(netlinkError { try session.linkAddVeth(name: "br0", peerName: "p0") }?.errno == EEXIST)

            #expect(try session.linkDelete(name: "missing0") == false)
            #expect(try session.linkIndex(name: "missing0") == nil)
            #expect(try session.link(name: "missing0") == nil)

            let badIndex: Int32 = 999_999
            #expect(netlinkError { try session.linkSetUp(index: badIndex) }?.errno == ENODEV)
            #expect(netlinkError { try session.linkDelete(index: badIndex) }?.errno == ENODEV)
            #expect(netlinkError { try session.linkSetMaster(index: badIndex, masterIndex: br0) }?.errno == ENODEV)
            #expect(netlinkError { try session.addressAdd(index: badIndex, address: ipBytes("10.0.0.1"), prefixLength: 24) }?
                .errno == ENODEV)

            try session.addressAdd(index: br0, address: ipBytes("10.0.0.1"), prefixLength: 24)
            #expect(netlinkError { try session.addressAdd(index: br0, address: ipBytes("10.0.0.1"), prefixLength: 24) }?
                .errno == EEXIST)
            #expect(netlinkError { try session.addressDelete(index: br0, address: ipBytes("10.0.0.9"), prefixLength: 24) }?
                .errno == EADDRNOTAVAIL)
            #expect(netlinkError { try session.routeDelete(destination: ipBytes("10.77.0.0"), prefixLength: 16) }?.errno == ESRCH)

            // A gateway with no route to it: the kernel explains through the extended ACK.
            let unreachable = try #require(netlinkError { try session.routeAdd(destination: nil, gateway: ipBytes("10.99.0.1")) })
            #expect(unreachable.errno == ENETUNREACH)
            #expect(unreachable.detail?.isEmpty == false)

            // The routes and addresses that did get in are still exactly ours.
            #expect(try await ns.ipJSON([IPRoute].self, "route", "show").map(\.dst) == [])  // br0 is down: no prefix route
        }
    }

    @Test func invalidArgumentsNeverReachTheKernel() async throws {
        try await TestRun.with("nl") { run in
            let ns = try await TestNamespace(run)
            let session = try ns.session()
            #expect(netlinkError { try session.linkAddBridge(name: "a-name-that-is-too-long") }?.errno == EINVAL)
            #expect(netlinkError { try session.linkAddBridge(name: "") }?.errno == EINVAL)
            #expect(netlinkError { try session.addressAdd(index: 1, address: [10, 0, 0], prefixLength: 24) }?.errno == EINVAL)
            #expect(netlinkError { try session.addressAdd(index: 1, address: [10, 0, 0, 1], prefixLength: 33) }?.errno == EINVAL)
            #expect(netlinkError { try session.linkSetAddress(index: 1, mac: [1, 2, 3]) }?.errno == EINVAL)
            #expect(netlinkError { try session.routeAdd(destination: ipBytes("fd00::"), prefixLength: 64,
                                                gateway: ipBytes("10.0.0.1")) }?.errno == EINVAL)
            #expect(netlinkError { try session.linkAddVXLAN(name: "vx0", vni: 1 << 24, local: nil, port: 4789,
                                                    underlayIndex: nil, learning: false, mtu: nil) }?.errno == EINVAL)
            #expect(try await ns.ipJSON([IPLink].self, "link", "show").map(\.ifname) == ["lo"])
        }
    }

    @Test func sessionLifecycle() async throws {
        let callerNamespace = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self/ns/net")
        #expect(netlinkError { _ = try NetlinkSession(namespacePath: "/run/netns/shnl-does-not-exist") }?.errno == ENOENT)
        try await TestRun.with("nl") { run in
            let ns = try await TestNamespace(run)
            let session = try ns.session()
            #expect(try session.links().map(\.name) == ["lo"])  // really inside the new namespace
            // …while the calling thread stayed where it was.
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self/ns/net") == callerNamespace)
            session.close()
            #expect(netlinkError { _ = try session.links() }?.errno == EBADF)
            session.close()  // idempotent
        }
    }
}
