import ShoalCore
import ShoalImages
import Testing

/// Which registries are spoken to over plain HTTP (dockerd's `--insecure-registry`).
@Suite struct InsecureRegistriesTests {
    @Test func loopbackAlwaysListedHostsAndSubnetsWhenGiven() throws {
        let none = InsecureRegistries.loopbackOnly
        #expect(none.contains(domain: "127.0.0.1:5000") && none.contains(domain: "localhost:5000")
                && none.contains(domain: "[::1]:5000"))
        #expect(!none.contains(domain: "10.1.2.3:5000") && !none.contains(domain: "docker.io"))
        let some = try InsecureRegistries(["10.9.0.0/16", "reg.lan:5000", "Mirror.Lan"])
        #expect(some.contains(domain: "10.9.4.1:5000") && !some.contains(domain: "10.8.4.1:5000"))
        #expect(some.contains(domain: "reg.lan:5000") && !some.contains(domain: "reg.lan:6000"))
        #expect(some.contains(domain: "mirror.lan:443") && some.contains(domain: "mirror.lan"))
        #expect(some.cidrs == ["127.0.0.0/8", "10.9.0.0/16"])
    }

    @Test func badEntriesAreRefused() {
        #expect(throws: ShoalError.self) { try InsecureRegistries(["http://reg.lan"]) }
        #expect(throws: ShoalError.self) { try InsecureRegistries(["10.9.0.0/33"]) }
        #expect(throws: ShoalError.self) { try InsecureRegistries([""]) }
    }
}
