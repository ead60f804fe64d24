import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import ShoalDNS

extension LoopbackNetwork {
    /// Prints costs for the report; asserts only correctness (timings vary with the machine and the build mode).
    @Suite struct DNSMeasurementTests {
        @Test func decodeAndEncodeCost() throws {
            let bytes = try DNSCodecTests.richResponse.encoded()
            let rounds = 20_000
            var started = ContinuousClock.now
            var checksum = 0
            for _ in 0..<rounds { checksum &+= try DNSMessage(decoding: bytes).answers.count }
            let decode = (ContinuousClock.now - started) / rounds
            let message = DNSCodecTests.richResponse
            started = ContinuousClock.now
            for _ in 0..<rounds { checksum &+= try message.encoded().count }
            let encode = (ContinuousClock.now - started) / rounds
            let query = try DNSCodecGoldenTests.query.encoded()
            started = ContinuousClock.now
            for _ in 0..<rounds { checksum &+= try DNSMessage(decoding: query).questions.count }
            let decodeQuery = (ContinuousClock.now - started) / rounds
            print("codec: \(bytes.count)-byte 11-record response decode \(decode), encode \(encode); query decode \(decodeQuery)")
            #expect(checksum > 0)
        }

        @Test func loopbackQueriesPerSecond() async throws {
            let table = DNSRecordTable()
            table.upsert(endpointID: "e", DNSEndpointRecord(network: "n", names: ["web"], ipv4: [DNSIPv4Address(10, 0, 0, 1)]))
            let chain = ChainResolver(local: LocalRecords(table: table, networks: ["n"]), forwarder: nil)
            try await withServer(resolver: chain) { _, port in
                // One connected UDP socket keeping up to `window` queries in flight, counting good replies.
                let counter = ReplyCounter()
                let client = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(counter.handler()) }
                    }
                    .connect(host: "127.0.0.1", port: port).get()
                // A liveness bound, not a timing assertion: the rate is printed; a loaded CI machine answers far fewer.
                let total = 5_000
                let window = 64
                let query = try DNSMessage.query(id: 1, name: "web", type: .a).encoded()
                let started = ContinuousClock.now
                var sent = 0
                var lastCount = 0
                var lastProgress = started
                let deadline = started + .seconds(180)
                while counter.count < total, ContinuousClock.now < deadline {
                    while sent < total, sent - counter.count < window {
                        client.write(ByteBuffer(bytes: query), promise: nil)
                        sent += 1
                    }
                    client.flush()
                    try await Task.sleep(for: .microseconds(200))
                    let now = ContinuousClock.now
                    if counter.count != lastCount {
                        lastCount = counter.count
                        lastProgress = now
                    } else if now - lastProgress > .milliseconds(50) {
                        // Datagrams were lost and the window is stuck: open it again.
                        sent = counter.count
                        lastProgress = now
                    }
                }
                let elapsed = ContinuousClock.now - started
                try await client.close()
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                print("server: \(counter.count) UDP queries answered in \(elapsed), \(Int(Double(counter.count) / seconds)) q/s (one client, \(window) in flight)")
                #expect(counter.count >= total)
            }
        }
    }
}

/// Counts replies that decode and carry one answer.
final class ReplyCounter: Sendable {
    private let value = Atomic<Int>(0)
    var count: Int { value.load(ordering: .relaxed) }

    func handler() -> Handler { Handler(counter: self) }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let counter: ReplyCounter
        init(counter: ReplyCounter) { self.counter = counter }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(unwrapInboundIn(data).data.readableBytesView)
            if let reply = try? DNSMessage(decoding: bytes), reply.answers.count == 1 {
                counter.value.add(1, ordering: .relaxed)
            }
        }
    }
}
