/// Helpers for the IPAM tests: literal parsing and error assertions (property tests draw from ShoalCore's SeededGenerator).
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

func roundTrip<T: Codable>(_ value: T) throws -> T {
    try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
}
