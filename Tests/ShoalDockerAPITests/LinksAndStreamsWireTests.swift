import Foundation
@testable import ShoalDockerAPI
import ShoalCore
import ShoalModel
import Testing

/// The pure parts of links, detach keys and stats: Docker's readings and its variable names.
@Suite struct LinksAndStreamsWireTests {
    @Test func linksAreReadAsDockerReadsThem() throws {
        #expect(try ContainerLink(parsing: "db") == ContainerLink(target: "db", alias: "db"))
        #expect(try ContainerLink(parsing: "db:data") == ContainerLink(target: "db", alias: "data"))
        #expect(try ContainerLink(parsing: "/db:/web/data") == ContainerLink(target: "db", alias: "data"))
        #expect(throws: ShoalError.self) { try ContainerLink(parsing: "a:b:c") }
        #expect(throws: ShoalError.self) { try ContainerLink(parsing: "") }
        #expect(ContainerLink(target: "db", alias: "data").text == "db:data")
        #expect(ContainerLink(target: "db", alias: "db").text == "db")
    }

    @Test func linkEnvironmentNamesPortsRangesAndTheTargetsEnvironment() {
        let env = LinkEnvironment.variables(alias: "my-db", name: "/web/my-db", address: "10.0.0.2",
                                            ports: ["6379/tcp", "53/udp", "53/tcp"],
                                            environment: ["PATH=/bin", "HOME=/root", "PASSWORD=x=y"])
        #expect(env == [
            "MY_DB_PORT=tcp://10.0.0.2:53",
            "MY_DB_PORT_53_TCP=tcp://10.0.0.2:53", "MY_DB_PORT_53_TCP_ADDR=10.0.0.2", "MY_DB_PORT_53_TCP_PORT=53",
            "MY_DB_PORT_53_TCP_PROTO=tcp",
            "MY_DB_PORT_53_UDP=udp://10.0.0.2:53", "MY_DB_PORT_53_UDP_ADDR=10.0.0.2", "MY_DB_PORT_53_UDP_PORT=53",
            "MY_DB_PORT_53_UDP_PROTO=udp",
            "MY_DB_PORT_6379_TCP=tcp://10.0.0.2:6379", "MY_DB_PORT_6379_TCP_ADDR=10.0.0.2",
            "MY_DB_PORT_6379_TCP_PORT=6379", "MY_DB_PORT_6379_TCP_PROTO=tcp",
            "MY_DB_NAME=/web/my-db", "MY_DB_ENV_PASSWORD=x=y",
        ])
        // Three or more consecutive ports also get the range's variables.
        let range = LinkEnvironment.variables(alias: "r", name: "/w/r", address: "a",
                                              ports: ["8002/tcp", "8000/tcp", "8001/tcp"], environment: [])
        #expect(range.contains("R_PORT_8000_TCP_START=tcp://a:8000"))
        #expect(range.contains("R_PORT_8000_TCP_END=tcp://a:8002"))
        #expect(range.contains("R_PORT_8000_TCP_PORT_START=8000") && range.contains("R_PORT_8000_TCP_PORT_END=8002"))
        #expect(range.contains("R_PORT_8001_TCP=tcp://a:8001"))
    }

    @Test func hostConfigLinksRefuseHostAndContainerNetworks() throws {
        #expect(try HostConfigWire(NetworkMode: "default", Links: ["a:b"]).links()
            == [ContainerLink(target: "a", alias: "b")])
        #expect(throws: DockerAPIError.self) { try HostConfigWire(NetworkMode: "host", Links: ["a"]).links() }
        #expect(throws: DockerAPIError.self) { try HostConfigWire(NetworkMode: "container:x", Links: ["a"]).links() }
        #expect(try HostConfigWire(NetworkMode: "host").links() == nil)
    }

    @Test func detachKeySpecsAreDockers() {
        #expect(DetachKeys.parse("") == [16, 17])
        #expect(DetachKeys.parse("ctrl-p,ctrl-q") == [16, 17])
        #expect(DetachKeys.parse("CTRL-A,x") == [1, UInt8(ascii: "x")])
        #expect(DetachKeys.parse("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_") == [0, 27, 28, 29, 30, 31])
        for bad in ["ctrl-foo", "ctrl-1", "xy", "ctrl-p,", "alt-a"] { #expect(DetachKeys.parse(bad) == nil, "\(bad)") }
    }

    @Test func escapeMatcherHoldsBackAPrefixAndStopsAtTheSequence() {
        var matcher = EscapeMatcher(keys: [16, 17])
        #expect(matcher.feed([1, 2, 16]) == ([1, 2], false))
        // The held key comes back when the next byte breaks the sequence (that byte is not looked at again).
        #expect(matcher.feed([3]) == ([16, 3], false))
        #expect(matcher.feed([16]) == ([], false))
        #expect(matcher.feed([16, 17]) == ([16, 16, 17], false))
        #expect(matcher.feed([4, 16, 17, 5]) == ([4], true))
        #expect(matcher.feed([6]) == ([], true))
        var ended = EscapeMatcher(keys: [16, 17])
        _ = ended.feed([9, 16])
        #expect(ended.flush() == [16])
    }

    @Test func countersParseNetDevAndBlkio() {
        let netDev = """
        Inter-|   Receive                                                |  Transmit
         face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop fifo colls carrier
            lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0
          eth0: 1500 12 1 2 0 0 0 0 700 7 3 4 0 0 0 0
        """
        let parsed = InterfaceCounters.parse(netDev: netDev)
        #expect(Array(parsed.keys) == ["eth0"])
        let eth0 = parsed["eth0"]
        #expect(eth0?.rxBytes == 1500 && eth0?.rxPackets == 12 && eth0?.rxErrors == 1 && eth0?.rxDropped == 2)
        #expect(eth0?.txBytes == 700 && eth0?.txPackets == 7 && eth0?.txErrors == 3 && eth0?.txDropped == 4)
        #expect(BlockIOCounter.parse(blkio: "8:0 Read 4096\n8:0 Write 8192\nTotal 12288\n") == [
            BlockIOCounter(major: 8, minor: 0, op: "Read", value: 4096),
            BlockIOCounter(major: 8, minor: 0, op: "Write", value: 8192),
        ])
    }
}
