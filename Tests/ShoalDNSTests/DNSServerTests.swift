import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import ShoalDNS

#if canImport(Glibc)
import Glibc
#endif

extension LoopbackNetwork {
    @Suite struct DNSServerTests {
        static func chain() throws -> ChainResolver {
            let table = DNSRecordTable()
            table.upsert(endpointID: "e1", DNSEndpointRecord(network: "app", names: ["web"], ipv4: [try DNSIPv4Address("172.18.0.2")]))
            let many = (0..<60).map { DNSIPv4Address(172, 18, 1, UInt8($0)) }
            table.upsert(endpointID: "e2", DNSEndpointRecord(network: "app", names: ["many"], ipv4: many))
            return ChainResolver(local: LocalRecords(table: table, networks: ["app"]), forwarder: nil, localDomains: ["app"])
        }

        @Test func answersOverUDPAndTCP() async throws {
            try await withServer(resolver: try Self.chain()) { _, port in
                let udp = try await TestClient.ask(.query(id: 10, name: "web", type: .a), port: port)
                #expect(udp.answers.map(\.data) == [.a(DNSIPv4Address(172, 18, 0, 2))])
                let tcp = try await TestClient.ask(.query(id: 11, name: "WEB.app.", type: .a), port: port, over: .tcp)
                #expect(tcp.answers.map(\.data) == [.a(DNSIPv4Address(172, 18, 0, 2))])
                let nx = try await TestClient.ask(.query(id: 12, name: "nope.app", type: .a), port: port)
                #expect(nx.responseCode == .nameError)
            }
        }

        @Test func largeUDPRepliesAreTruncatedAndComeWholeOverTCP() async throws {
            try await withServer(resolver: try Self.chain()) { _, port in
                let udp = try await TestClient.ask(.query(id: 20, name: "many", type: .a), port: port)
                #expect(udp.header.isTruncated && udp.answers.count < 60)
                let edns = try await TestClient.ask(.query(id: 21, name: "many", type: .a, edns: DNSEDNS(udpPayloadSize: 4096)), port: port)
                #expect(!edns.header.isTruncated && edns.answers.count == 60 && edns.edns?.udpPayloadSize == 1232)
                let tcp = try await TestClient.ask(.query(id: 22, name: "many", type: .a), port: port, over: .tcp)
                #expect(!tcp.header.isTruncated && tcp.answers.count == 60)
            }
        }

        @Test func malformedQueriesGetFormErrAndTheServerKeepsGoing() async throws {
            try await withServer(resolver: try Self.chain()) { _, port in
                // Header says one question, body is a self-pointer.
                let bad: [UInt8] = [0x77, 0x01, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1]
                let udp = try await TestClient.send(bad, port: port, expectID: 0x7701)
                #expect(udp.responseCode == .formatError && udp.header.isResponse && udp.questions.isEmpty)
                let tcp = try await TestClient.send(bad, port: port, over: .tcp, expectID: 0x7701)
                #expect(tcp.responseCode == .formatError)
                // Too short for a header: dropped (over UDP no reply; we just check the next query works).
                let sender = RawSocket.Sender(port: port)
                sender.send([1, 2, 3])
                let ok = try await TestClient.ask(.query(id: 13, name: "web", type: .a), port: port)
                #expect(ok.answers.count == 1)
            }
        }

        @Test func aStalledTCPClientDoesNotBlockOthers() async throws {
            let limits = DNSServer.Limits(tcpIdleTimeout: .milliseconds(300))
            try await withServer(resolver: try Self.chain(), limits: limits) { server, port in
                // A client that sends half a frame and stalls.
                let stalled = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(host: "127.0.0.1", port: port).get()
                try await stalled.writeAndFlush(ByteBuffer(bytes: [0x00, 0x40, 0x12])).get()
                let tcp = try await TestClient.ask(.query(id: 30, name: "web", type: .a), port: port, over: .tcp)
                #expect(tcp.answers.count == 1)
                let udp = try await TestClient.ask(.query(id: 31, name: "web", type: .a), port: port)
                #expect(udp.answers.count == 1)
                // The idle timeout closes the stalled connection.
                try await stalled.closeFuture.get()
            }
        }

        /// The engine binds 127.0.0.11:53 inside a netns and hands the descriptors over; here we bind on loopback.
        @Test func servesAlreadyBoundSockets() async throws {
            let (udpFD, port) = RawSocket.boundLoopback(tcp: false)
            let (tcpFD, _) = RawSocket.boundLoopback(tcp: true, port: port)
            let server = try await DNSServer.serve(udpSocket: udpFD, tcpSocket: tcpFD, resolver: try Self.chain())
            do {
                #expect(server.udpAddress?.port == port && server.tcpAddress?.port == port)
                let udp = try await TestClient.ask(.query(id: 40, name: "web", type: .a), port: port)
                #expect(udp.answers.count == 1)
                let tcp = try await TestClient.ask(.query(id: 41, name: "web", type: .a), port: port, over: .tcp)
                #expect(tcp.answers.count == 1)
            }
            await server.close()
        }

        @Test func forwardsThroughTheChainToALoopbackUpstream() async throws {
            let upstream = ClosureResolver { .response(to: $0, answers: [.a($0.questions[0].name, "203.0.113.5")]) }
            try await withServer(resolver: upstream) { _, upstreamPort in
                let table = DNSRecordTable()
                let chain = ChainResolver(
                    local: LocalRecords(table: table, networks: ["app"]),
                    forwarder: try ForwardingResolver(upstreams: ["127.0.0.1:\(upstreamPort)"]),
                    localDomains: ["app"]
                )
                try await withServer(resolver: chain) { _, port in
                    let reply = try await TestClient.ask(.query(id: 50, name: "example.org", type: .a), port: port)
                    #expect(reply.header.id == 50 && reply.answers.map(\.data) == [.a(DNSIPv4Address(203, 0, 113, 5))])
                    let local = try await TestClient.ask(.query(id: 51, name: "ghost.app", type: .a), port: port)
                    #expect(local.responseCode == .nameError)
                    #expect(upstream.calls == 1)
                }
            }
        }
    }
}
