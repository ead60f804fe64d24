import Foundation
import ShoalOS
@testable import ShoalRuntime
import ShoalTestSupport
import Testing

/// Timings for the report, not asserted. Run with SHOAL_BENCH=1.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["SHOAL_BENCH"] != nil))
struct RuntimeBenchmarks {
    @Test func createStartWaitOne() async throws {
        try await RuntimeFixture.with("bench") { fx in
            var samples: [(Double, Double, Double)] = []
            for _ in 0..<10 {
                let (id, bundle, log) = try fx.newContainer()
                let clock = ContinuousClock()
                let t0 = clock.now
                _ = try await fx.create(fx.options(id, ["true"]), bundle: bundle, log: log, attach: true)
                let t1 = clock.now
                try await fx.runtime.start(id: id)
                let t2 = clock.now
                _ = try await fx.runtime.waitForExit(id: id)
                let t3 = clock.now
                try await fx.runtime.delete(id: id)
                samples.append(((t1 - t0).ms, (t2 - t1).ms, (t3 - t2).ms))
            }
            let sorted = samples.map { $0.0 + $0.1 + $0.2 }.sorted()
            print("BENCH one: create/start/wait ms each: " + samples.map { String(format: "%.0f/%.0f/%.0f", $0.0, $0.1, $0.2) }.joined(separator: " "))
            print("BENCH one: create+start+wait median \(String(format: "%.1f", sorted[sorted.count / 2])) ms")
        }
    }

    @Test func hundredEightAtATime() async throws {
        try await RuntimeFixture.with("bench") { fx in
            let containers = try (0..<100).map { _ in try fx.newContainer() }
            let clock = ContinuousClock()
            let t0 = clock.now
            var rss: [Int] = []
            try await withThrowingTaskGroup(of: Int.self) { group in
                var next = 0
                func add() {
                    let (id, bundle, log) = containers[next]
                    next += 1
                    group.addTask {
                        _ = try await fx.create(fx.options(id, ["true"]), bundle: bundle, log: log, attach: false)
                        try await fx.runtime.start(id: id)
                        let kb = fx.runtime.conmonPid(id: id).map(Self.rssKB) ?? 0
                        _ = try await fx.runtime.waitForExit(id: id)
                        try await fx.runtime.delete(id: id)
                        return kb
                    }
                }
                for _ in 0..<8 { add() }
                while let kb = try await group.next() {
                    rss.append(kb)
                    if next < containers.count { add() }
                }
            }
            let total = (clock.now - t0).ms
            print("BENCH 100 x true (8 at a time, create+start+wait+delete): \(String(format: "%.0f", total)) ms total; conmon RSS median \(rss.sorted()[rss.count / 2]) kB")
        }
    }

    static func rssKB(_ pid: Int32) -> Int {
        guard let status = try? FileIO.readString("/proc/\(pid)/status") else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}

extension Duration {
    var ms: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
