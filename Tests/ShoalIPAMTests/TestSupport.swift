/// Helpers for the IPAM tests: literal parsing, error assertions, and a seeded generator for property tests.
import Foundation
import Testing
import ShoalCore
import ShoalIPAM

func ip(_ text: String) -> IPv4Address { try! IPv4Address(parsing: text) }
func cidr(_ text: String) -> IPv4Subnet { try! IPv4Subnet(parsing: text) }

/// Expects `body` to throw a `ShoalError` with exactly `message` (and `code` when given).
func expectError(_ message: String, code: ShoalError.Code? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                 _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected error \"\(message)\", nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as ShoalError {
        #expect(error.message == message, sourceLocation: sourceLocation)
        if let code { #expect(error.code == code, sourceLocation: sourceLocation) }
    } catch {
        Issue.record("expected a ShoalError, got \(error)", sourceLocation: sourceLocation)
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough to drive property tests reproducibly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func roundTrip<T: Codable>(_ value: T) throws -> T {
    try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
}
