import Foundation
import ShoalCore
import Testing
@testable import ShoalDNS

extension LoopbackNetwork {
    /// Random, mutated, truncated and oversized packets and pointer loops: the decoder must return or throw, the server
    /// must keep answering.
    @Suite struct DNSFuzzTests {
        static let seeds: [[UInt8]] = [
            DNSCodecGoldenTests.queryBytes,
            DNSCodecGoldenTests.responseBytes,
            try! DNSCodecTests.richResponse.encoded(),
            try! DNSMessage.query(id: 1, name: "2.0.18.172.in-addr.arpa", type: .ptr).encoded(),
        ]

        /// 256 KiB of noise and of label soup (random labels, some pointers), sliced at random offsets: generating
        /// every byte per case would cost more than decoding it.
        static let noise: [UInt8] = {
            var random = SeededGenerator(seed: 1)
            return (0..<(256 * 1024)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }()

        static let soup: [UInt8] = {
            var random = SeededGenerator(seed: 2)
            var bytes: [UInt8] = []
            while bytes.count < 256 * 1024 {
                let label = Int(random.next() % 64)
                bytes.append(UInt8(label))
                bytes += (0..<label).map { _ in UInt8(0x61 + random.next() % 26) }
                if random.next() % 2 == 0 { bytes += [0xC0, UInt8(truncatingIfNeeded: random.next())] }
            }
            return bytes
        }()

        static func slice(_ pool: [UInt8], _ length: Int, _ random: inout SeededGenerator) -> [UInt8] {
            let start = Int.random(in: 0...(pool.count - length), using: &random)
            return Array(pool[start..<(start + length)])
        }

        /// One fuzz case from the generator; the case kinds rotate so each gets a fair share.
        static func makeCase(_ index: Int, _ random: inout SeededGenerator) -> [UInt8] {
            switch index % 6 {
            case 0:  // pure noise, mostly small
                return slice(noise, Int.random(in: 0...600, using: &random), &random)
            case 1:  // flipped bytes in a valid message
                var bytes = seeds.randomElement(using: &random)!
                for _ in 0..<Int.random(in: 1...6, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
                return bytes
            case 2:  // truncated valid message
                let bytes = seeds.randomElement(using: &random)!
                return Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
            case 3:  // compression pointers sprayed into a valid message (loops, forward, self pointers)
                var bytes = seeds.randomElement(using: &random)!
                let at = Int.random(in: 12..<(bytes.count - 1), using: &random)
                bytes[at] = 0xC0 | UInt8.random(in: 0...0x3F, using: &random) & 0x01
                bytes[at + 1] = UInt8.random(in: 0...UInt8(min(255, bytes.count + 8)), using: &random)
                return bytes
            case 4:  // inflated counts
                var bytes = seeds.randomElement(using: &random)!
                bytes[4 + 2 * Int.random(in: 0...3, using: &random) + Int.random(in: 0...1, using: &random)] = UInt8.random(in: 0...255, using: &random)
                return bytes
            default:  // oversized: a query header with random counts, then up to 64 KiB of label soup
                let counts = (0..<8).map { _ in UInt8.random(in: 0...3, using: &random) }
                let length = index % 60 == 5 ? 65_000 : Int.random(in: 0...3000, using: &random)
                return [0x55, 0x55, 0x01, 0x00] + counts + slice(soup, length, &random)
            }
        }

        @Test func decoderIsTotalOnHundredThousandPackets() throws {
            var random = SeededGenerator(seed: 0x5EED_D115)
            var decoded = 0
            let started = ContinuousClock.now
            for index in 0..<100_000 {
                let bytes = Self.makeCase(index, &random)
                if let message = try? DNSMessage(decoding: bytes) {
                    decoded += 1
                    // Whatever decodes re-encodes to something that decodes to the same message.
                    if let again = try? message.encoded() {
                        #expect(try DNSMessage(decoding: again) == message, "case \(index)")
                    }
                }
                _ = DNSQueryProcessor.classify(bytes)
            }
            print("fuzz: 100000 packets, \(decoded) decoded, took \(ContinuousClock.now - started)")
        }

        @Test func liveServerSurvivesHundredThousandBadPackets() async throws {
            let table = DNSRecordTable()
            table.upsert(endpointID: "e", DNSEndpointRecord(network: "n", names: ["alive"], ipv4: [DNSIPv4Address(10, 9, 8, 7)]))
            let chain = ChainResolver(local: LocalRecords(table: table, networks: ["n"]), forwarder: nil)
            try await withServer(resolver: chain) { server, port in
                var random = SeededGenerator(seed: 0xF022)
                let sender = RawSocket.Sender(port: port)
                var sent = 0
                let started = ContinuousClock.now
                for index in 0..<100_000 {
                    var bytes = Self.makeCase(index, &random)
                    if bytes.count > 65_000 { bytes = Array(bytes.prefix(65_000)) }
                    if sender.send(bytes) { sent += 1 }
                    if index % 500 == 0 {
                        sender.drain()
                        await Task.yield()
                    }
                }
                sender.drain()
                print("live fuzz: \(sent) of 100000 packets sent in \(ContinuousClock.now - started)")
                // The blast may still fill the server's socket buffer, where the kernel drops what does not fit:
                // ask like a stub resolver does, retrying after a second, up to five times.
                var reply: DNSMessage?
                for attempt in 1...5 where reply == nil {
                    reply = try? await TestClient.ask(.query(id: 0x600D, name: "alive", type: .a), port: port, timeout: .seconds(1))
                    if reply != nil { print("live fuzz: valid query answered on attempt \(attempt)") }
                }
                #expect(server.udpChannel.isActive)
                #expect(reply?.answers.map(\.data) == [.a(DNSIPv4Address(10, 9, 8, 7))])
                let tcp = try await TestClient.ask(.query(id: 0x600E, name: "alive", type: .a), port: port, over: .tcp)
                #expect(tcp.answers.count == 1)
            }
        }
    }
}
