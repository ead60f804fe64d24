import ShoalCore
import Testing
@testable import ShoalCA

@Suite struct RandomIDTests {
    @Test func matchesSwarmKitEncodingForFixedEntropy() {
        // python3: b36(int.from_bytes(bytes([0x80] + list(range(1, 17))), 'big'))[1:26]
        #expect(RandomID.fromEntropy([0x80] + Array(1...16)) == "hw05xdvcpbrfi4jekqvbjy4b2")
        #expect(RandomID.fromEntropy([UInt8](repeating: 0xff, count: 17)) == "zrw1727u0mgg6ugs60vxe42e4")
    }

    @Test func generatorSetsTheTopBitOfItsEntropy() {
        // 0x00 followed by 1...16 is turned into 0x80 1...16 before encoding.
        var replay = ReplayGenerator(bytes: [0x00] + Array(1...16))
        #expect(RandomID.generate(using: &replay) == "hw05xdvcpbrfi4jekqvbjy4b2")
    }

    @Test func idsHaveFixedLengthAndCharset() {
        var generator = SeededGenerator(seed: 42)
        var seen = Set<String>()
        for _ in 0..<1000 {
            let id = RandomID.generate(using: &generator)
            #expect(RandomID.isValid(id), "\(id)")
            seen.insert(id)
        }
        #expect(seen.count == 1000)
        #expect(RandomID.isValid(RandomID.generate()))
        #expect(!RandomID.isValid("short"))
        #expect(!RandomID.isValid("HW05XDVCPBRFI4JEKQVBJY4B2"))
    }
}
