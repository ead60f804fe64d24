import Testing
@testable import ShoalNetwork

/// The hosts and resolv.conf files containers get, as Docker writes them.
@Suite struct SandboxFilesTests {
    @Test func hostsEndWithTheContainersOwnAddress() {
        let text = SandboxFiles.hosts(extraHosts: ["db:10.0.0.9"], ownAddress: "172.18.0.2", hostname: "abc",
                                      domainname: "example.org")
        #expect(text == SandboxFiles.hostsHead + "10.0.0.9\tdb\n172.18.0.2\tabc.example.org abc\n")
        #expect(SandboxFiles.hosts(extraHosts: [], ownAddress: nil, hostname: "abc") == SandboxFiles.hostsHead)
    }

    @Test func embeddedResolvConfKeepsSearchAndOptions() {
        let host = "# comment\nnameserver 10.0.0.1\nsearch corp.example\noptions ndots:2 timeout:1 attempts:2\n"
        #expect(SandboxFiles.embeddedResolvConf(hostResolvConf: host)
            == "search corp.example\nnameserver 127.0.0.11\noptions ndots:0 timeout:1 attempts:2\n")
        #expect(SandboxFiles.embeddedResolvConf(hostResolvConf: "") == "nameserver 127.0.0.11\noptions ndots:0\n")
    }

    @Test func plainResolvConfDropsLoopbackServers() {
        let host = "nameserver 127.0.0.53\nnameserver 10.0.0.1\nsearch x\n"
        #expect(SandboxFiles.plainResolvConf(servers: [], hostResolvConf: host) == "nameserver 10.0.0.1\nsearch x\n")
        #expect(SandboxFiles.plainResolvConf(servers: ["1.1.1.1"], hostResolvConf: host) == "nameserver 1.1.1.1\n")
        #expect(SandboxFiles.plainResolvConf(servers: [], hostResolvConf: host, keepLoopback: true) == host)
        #expect(SandboxFiles.nameservers(in: host) == ["127.0.0.53", "10.0.0.1"])
    }
}
