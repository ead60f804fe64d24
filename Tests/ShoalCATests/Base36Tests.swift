import ShoalCore
import Testing
@testable import ShoalCA

/// Vectors computed independently with python3 (`int(...)` and repeated `divmod(n, 36)`).
@Suite struct Base36Tests {
    @Test func encodesKnownValues() {
        #expect(Base36.encode([UInt8](repeating: 0xff, count: 16), width: 25) == "f5lxx1zz5pnorynqglhzmsp33")
        #expect(
            Base36.encode([UInt8](repeating: 0xff, count: 32), width: 50)
                == "6dp5qcb22im238nr3wvp0ic7q99w035jmy2iw7i6n43d37jtof")
        #expect(Base36.encode(Array(1...16), width: 25) == "025burfp0j7epb0hqfcuw340g")
        #expect(Base36.encode([0, 0, 1], width: 25) == "0000000000000000000000001")
        #expect(Base36.encode([0, 0], width: 3) == "000")
        #expect(Base36.encode([35]) == "z")
        #expect(Base36.encode([36]) == "10")
    }

    @Test func decodesWhatItEncodes() throws {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            let bytes = randomBytes(count: 32, using: &generator)
            let text = Base36.encode(bytes, width: 50)
            #expect(text.count == 50)
            #expect(try Base36.decode(text, byteCount: 32) == bytes)
        }
    }

    @Test func decodeRejectsOverflowAndForeignCharacters() {
        // 2^128 does not fit in 16 bytes; 2^128 - 1 does.
        #expect(throws: Base36.DecodeFailure.overflow) { try Base36.decode("f5lxx1zz5pnorynqglhzmsp34", byteCount: 16) }
        #expect((try? Base36.decode("f5lxx1zz5pnorynqglhzmsp33", byteCount: 16)) == [UInt8](repeating: 0xff, count: 16))
        #expect(throws: Base36.DecodeFailure.invalidCharacter) { try Base36.decode("A", byteCount: 4) }
        #expect(throws: Base36.DecodeFailure.invalidCharacter) { try Base36.decode("-", byteCount: 4) }
    }
}
