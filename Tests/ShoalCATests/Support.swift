import Foundation
import ShoalCore
@testable import ShoalCA

/// Replays fixed bytes (big-endian words), so a test can pin exactly which entropy a generator sees.
struct ReplayGenerator: RandomNumberGenerator {
    var words: [UInt64]
    init(bytes: [UInt8]) {
        let padded = bytes + [UInt8](repeating: 0, count: (8 - bytes.count % 8) % 8)
        words = stride(from: 0, to: padded.count, by: 8).map { start in
            padded[start..<start + 8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        }
    }
    mutating func next() -> UInt64 { words.isEmpty ? 0 : words.removeFirst() }
}

/// A directory under /tmp removed when the value goes away (each test gets its own).
final class TemporaryDirectory: Sendable {
    let url: URL
    init() throws {
        url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("shoalca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// The CA, key and signed certificate most tests start from.
struct Fixture {
    static let clusterID = "k3pq7gq2c1c5ndr1w6b5xjz0a"
    let root: RootCA
    let key: NodeKey
    let nodeID: String
    let chainPEM: String

    init(role: NodeRole = .worker, ipAddresses: [String] = ["10.0.0.2"], now: Date = Date()) throws {
        root = try RootCA.create(now: now)
        key = NodeKey.generate()
        nodeID = RandomID.generate()
        chainPEM = try root.sign(
            csr: try key.makeCSR(), nodeID: nodeID, role: role, clusterID: Self.clusterID,
            ipAddresses: ipAddresses, now: now)
    }
}

extension Date {
    static func days(_ count: Double) -> TimeInterval { count * 86_400 }
}

/// The `CAError` thrown by `body`, or nil when it throws nothing or something else.
func caError(_ body: () throws -> Void) -> CAError? {
    do {
        try body()
        return nil
    } catch let error as CAError {
        return error
    } catch {
        return nil
    }
}
