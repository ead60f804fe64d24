/// Property tests: thousands of random operations against simple reference models, with fixed seeds so a failure
/// replays exactly.
import Foundation
import Testing
import ShoalCore
@testable import ShoalIPAM

@Suite struct PropertyTests {
    /// The reference allocator: a plain set plus a linear scan that follows the documented round-robin policy.
    struct ReferenceAllocator {
        let candidates: [UInt32]   // the dynamic range minus reserved addresses, ascending
        var inUse: Set<UInt32> = []
        var cursor: UInt32?

        mutating func allocate() -> UInt32? {
            let free = candidates.filter { !inUse.contains($0) }
            guard let next = free.first(where: { $0 > (cursor ?? 0) && cursor != nil }) ?? free.first else { return nil }
            inUse.insert(next)
            cursor = next
            return next
        }
    }

    @Test(arguments: [(UInt64(1), "10.0.0.0/28", nil as String?), (2, "10.0.0.0/30", nil), (3, "172.18.0.0/24", "172.18.0.64/26"),
                      (4, "10.9.0.0/27", "10.9.0.0/28"), (5, "10.0.0.0/31", nil)])
    func addressAllocatorMatchesTheReferenceModel(seed: UInt64, subnetText: String, rangeText: String?) throws {
        var random = SeededGenerator(seed: seed)
        let subnet = cidr(subnetText)
        let range = rangeText.map(cidr)
        let aux = subnet.addressCount >= 16 ? ["aux": IPv4Address(subnet.network.value + 5)] : [:]
        var allocator = try AddressAllocator(subnet: subnet, ipRange: range,
                                             gateway: subnet.prefixLength >= 31 ? .none : .firstHost, auxAddresses: aux)
        let reserved = Set(subnet.valueRange.filter { allocator.isReserved(IPv4Address($0)) })
        #expect(reserved.contains(subnet.network.value) == subnet.reservesNetworkAndBroadcast)
        var model = ReferenceAllocator(candidates: (range ?? subnet).valueRange.filter { !reserved.contains($0) })
        for step in 0..<4000 {
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<5:
                let expected = model.allocate()
                let actual = try? allocator.allocate()
                #expect(actual?.value == expected, "step \(step)")
                if let actual { #expect(!reserved.contains(actual.value)) }
            case 5..<8:
                guard let victim = model.inUse.randomElement(using: &random) else { continue }
                model.inUse.remove(victim)
                do { let ok = allocator.release(IPv4Address(victim)); #expect(ok) }
            case 8:
                let candidate = IPv4Address(subnet.network.value + UInt32.random(in: 0...UInt32(subnet.addressCount - 1), using: &random))
                let free = !reserved.contains(candidate.value) && !model.inUse.contains(candidate.value)
                do {
                    try allocator.allocate(specific: candidate)
                    #expect(free)
                    model.inUse.insert(candidate.value)
                } catch {
                    #expect(!free)
                    #expect(error.message == "Address already in use")
                }
            default:
                allocator = try roundTrip(allocator)
            }
            #expect(Set(allocator.addressesInUse.map(\.value)) == model.inUse, "step \(step)")
            let expectedAvailable = model.candidates.filter { !model.inUse.contains($0) }.count
            #expect(allocator.availableCount == UInt64(expectedAvailable))
        }
    }

    @Test func runSetMatchesASet() throws {
        var random = SeededGenerator(seed: 77)
        var runs = RunSet()
        var reference: Set<UInt32> = []
        for _ in 0..<20_000 {
            let value = UInt32.random(in: 0...200, using: &random) | (random.next() % 50 == 0 ? UInt32.max - 3 : 0)
            if Bool.random(using: &random) {
                do { let got = runs.insert(value); let want = reference.insert(value).inserted; #expect(got == want) }
            } else {
                do { let got = runs.remove(value); let want = reference.remove(value) != nil; #expect(got == want) }
            }
            #expect(runs.contains(value) == reference.contains(value))
        }
        #expect(runs.values == reference.sorted())
        #expect(runs.count == UInt64(reference.count))
        // Runs stay merged: no two touch.
        for (a, b) in zip(runs.runs, runs.runs.dropFirst()) { #expect(a.upperBound + 1 < b.lowerBound) }
        let decoded = try RunSet(encodedRuns: runs.encodedRuns { String($0) }) { text throws(ShoalError) in UInt32(text)! }
        #expect(decoded == runs)
        for start in stride(from: UInt32(0), through: 210, by: 7) {
            let window = UInt32(0)...UInt32(205)
            let expected = start > 205 ? nil : (start...205).first { !reference.contains($0) }
            #expect(RunSet.firstFree(in: window, from: start, avoiding: [runs]) == expected)
        }
    }

    @Test func subnetPoolNeverOverlapsAndAlwaysTakesTheFirstFit() throws {
        var random = SeededGenerator(seed: 0xB00C)
        let specs = [try AddressPoolSpec(parsing: "base=10.0.0.0/22,size=26"), try AddressPoolSpec(parsing: "base=10.0.8.0/24,size=25")]
        var pool = try SubnetPool(pools: specs)
        let allCandidates = specs.flatMap { try! $0.base.subdivide(into: $0.size) }
        for step in 0..<3000 {
            let routes = (0..<Int.random(in: 0...2, using: &random)).map { _ in
                IPv4Subnet(containing: IPv4Address(UInt32.random(in: 0x0A00_0000...0x0A00_09FF, using: &random)),
                           prefixLength: Int.random(in: 23...30, using: &random))
            }
            switch Int.random(in: 0..<4, using: &random) {
            case 0, 1:
                let expected = allCandidates.first { candidate in
                    !(pool.allocated + routes).contains { $0.overlaps(candidate) }
                }
                let actual = try? pool.allocate(avoiding: routes)
                #expect(actual == expected, "step \(step)")
            case 2:
                if let victim = pool.allocated.randomElement(using: &random) {
                    let released = pool.release(victim)
                    #expect(released)
                }
            default:
                let subnet = IPv4Subnet(containing: IPv4Address(UInt32.random(in: 0x0A00_0000...0x0A00_09FF, using: &random)),
                                        prefixLength: Int.random(in: 24...30, using: &random))
                let clashes = pool.allocated.contains { $0.overlaps(subnet) }
                do { let got = (try? pool.reserve(subnet)) != nil; #expect(got == !clashes) }
            }
            for (i, a) in pool.allocated.enumerated() {
                for b in pool.allocated[(i + 1)...] { #expect(!a.overlaps(b)) }
            }
            if step % 100 == 0 { pool = try roundTrip(pool) }
        }
    }

    @Test func portAllocatorMatchesTheConflictRule() throws {
        var random = SeededGenerator(seed: 0x9047)
        let hosts: [IPAddress] = [.v4(.any), .v4(ip("127.0.0.1")), .v4(ip("10.0.0.2")), .v6(.any), try IPAddress(parsing: "::1")]
        var ports = try PortAllocator(ephemeralRange: 30000...30015)
        var model: Set<PortBinding> = []
        func clashes(_ binding: PortBinding) -> Bool {
            model.contains { other in
                other.proto == binding.proto && other.port == binding.port && other.hostIP.isIPv4 == binding.hostIP.isIPv4
                    && (other.hostIP == binding.hostIP || other.hostIP.isUnspecified || binding.hostIP.isUnspecified)
            }
        }
        for step in 0..<5000 {
            let proto: PortProtocol = Bool.random(using: &random) ? .tcp : .udp
            let host = hosts.randomElement(using: &random)!
            switch Int.random(in: 0..<5, using: &random) {
            case 0, 1:
                let binding = PortBinding(proto, hostIP: host, port: UInt16.random(in: 30000...30020, using: &random))
                let ok = (try? ports.allocate(proto, hostIP: host, port: binding.port)) != nil
                #expect(ok == !clashes(binding), "step \(step)")
                if ok { model.insert(binding) }
            case 2:
                if let port = try? ports.allocate(proto, hostIP: host) {
                    let binding = PortBinding(proto, hostIP: host, port: port)
                    #expect((30000...30015).contains(port) && !clashes(binding), "step \(step)")
                    model.insert(binding)
                } else {
                    #expect((30000...30015).allSatisfy { clashes(PortBinding(proto, hostIP: host, port: $0)) })
                }
            default:
                if let victim = model.randomElement(using: &random) {
                    model.remove(victim)
                    do { let ok = ports.release(victim.proto, hostIP: victim.hostIP, port: victim.port); #expect(ok) }
                }
            }
            #expect(Set(ports.bindings) == model)
            if step % 250 == 0 { ports = try roundTrip(ports) }
        }
    }

    @Test func vniAllocatorMatchesASet() throws {
        var random = SeededGenerator(seed: 0x7A1)
        var vnis = try VNIAllocator(range: 5000...5063)
        var model: Set<UInt32> = []
        for _ in 0..<4000 {
            if Int.random(in: 0..<3, using: &random) < 2 {
                if let vni = try? vnis.allocate() {
                    let fresh = model.insert(vni).inserted
                    #expect((5000...5063).contains(vni) && fresh)
                } else {
                    #expect(model.filter { (5000...5063).contains($0) }.count == 64)
                }
            } else if let victim = model.randomElement(using: &random) {
                model.remove(victim)
                do { let ok = vnis.release(victim); #expect(ok) }
            }
            #expect(Set(vnis.vnisInUse) == model)
        }
        #expect(try roundTrip(vnis) == vnis)
    }
}
