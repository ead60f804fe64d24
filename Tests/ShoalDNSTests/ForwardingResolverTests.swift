import Foundation
import Testing
@testable import ShoalDNS

#if canImport(Glibc)
import Glibc
#endif

extension LoopbackNetwork {
    /// Forwarding against fake upstreams the test runs on 127.0.0.1 (never the machine's resolvers).
    @Suite struct ForwardingResolverTests {
        static func answering(_ address: String) -> ClosureResolver {
            ClosureResolver { query in .response(to: query, answers: [.a(query.questions[0].name, address)]) }
        }

        @Test func answersFromAGoodUpstream() async throws {
            try await withServer(resolver: Self.answering("192.0.2.1")) { _, port in
                let forwarder = try ForwardingResolver(upstreams: ["127.0.0.1:\(port)"])
                let reply = try #require(await forwarder.resolve(.query(id: 0xBEEF, name: "example.com", type: .a)))
                #expect(reply.header.id == 0xBEEF && reply.responseCode == .noError)
                #expect(reply.answers.map(\.data) == [.a(DNSIPv4Address(192, 0, 2, 1))])
            }
        }

        @Test func failsOverQuicklyFromAnUpstreamThatNeverAnswers() async throws {
            let (silent, silentPort) = RawSocket.silentUDP()
            defer { close(silent) }
            try await withServer(resolver: Self.answering("192.0.2.2")) { _, port in
                let forwarder = try ForwardingResolver(upstreams: ["127.0.0.1:\(silentPort)", "127.0.0.1:\(port)"])
                let started = ContinuousClock.now
                let reply = try #require(await forwarder.resolve(.query(id: 1, name: "example.com", type: .a)))
                let latency = ContinuousClock.now - started
                print("failover past a silent upstream took \(latency)")
                #expect(reply.responseCode == .noError)
                #expect(reply.answers.map(\.data) == [.a(DNSIPv4Address(192, 0, 2, 2))])
            }
        }

        @Test func retriesOverTCPWhenTheUDPReplyIsTruncated() async throws {
            // 40 A records do not fit 512 bytes: the fake upstream's UDP reply carries TC and part of them; over TCP
            // it sends all of them.
            let upstream = ClosureResolver { query in
                .response(to: query, answers: (0..<40).map { .a(query.questions[0].name, "198.51.100.\($0)") })
            }
            try await withServer(resolver: upstream) { _, port in
                let forwarder = try ForwardingResolver(upstreams: ["127.0.0.1:\(port)"])
                let reply = try #require(await forwarder.resolve(.query(id: 2, name: "big.example.com", type: .a)))
                #expect(!reply.header.isTruncated)
                #expect(reply.answers.count == 40)
                #expect(upstream.calls == 2)  // once over UDP (truncated), once over TCP
            }
        }

        @Test func serverFailureWhenEveryUpstreamIsDead() async throws {
            let (silent, silentPort) = RawSocket.silentUDP()
            defer { close(silent) }
            let closedPort = RawSocket.closedUDPPort()
            let forwarder = try ForwardingResolver(
                upstreams: ["127.0.0.1:\(silentPort)", "127.0.0.1:\(closedPort)"],
                options: .init(attemptTimeout: .milliseconds(400))
            )
            let started = ContinuousClock.now
            let reply = try #require(await forwarder.resolve(.query(id: 3, name: "example.com", type: .a)))
            print("SERVFAIL with all upstreams dead took \(ContinuousClock.now - started)")
            #expect(reply.responseCode == .serverFailure && reply.header.id == 3 && reply.header.isResponse)
        }

        @Test func upstreamServFailIsPassedOverForTheNextUpstream() async throws {
            let failing = ClosureResolver { .response(to: $0, code: .serverFailure) }
            try await withServer(resolver: failing) { _, badPort in
                try await withServer(resolver: Self.answering("192.0.2.3")) { _, goodPort in
                    let forwarder = try ForwardingResolver(upstreams: ["127.0.0.1:\(badPort)", "127.0.0.1:\(goodPort)"])
                    let reply = try #require(await forwarder.resolve(.query(id: 4, name: "example.com", type: .a)))
                    #expect(reply.answers.map(\.data) == [.a(DNSIPv4Address(192, 0, 2, 3))])
                }
            }
            // NXDOMAIN is an answer, not a failure.
            let nx = ClosureResolver { .response(to: $0, code: .nameError) }
            try await withServer(resolver: nx) { _, port in
                let forwarder = try ForwardingResolver(upstreams: ["127.0.0.1:\(port)"])
                #expect(try #require(await forwarder.resolve(.query(id: 5, name: "no.example", type: .a))).responseCode == .nameError)
            }
        }

        @Test func parsesUpstreamAddresses() throws {
            #expect(try ForwardingResolver.parseUpstream("10.0.0.2").port == 53)
            #expect(try ForwardingResolver.parseUpstream("127.0.0.1:5300").port == 5300)
            #expect(try ForwardingResolver.parseUpstream("[fd00::1]:5353").port == 5353)
            #expect(try ForwardingResolver.parseUpstream("fd00::1").port == 53)
            #expect(throws: (any Error).self) { try ForwardingResolver.parseUpstream("dns.example.com") }
        }
    }
}
