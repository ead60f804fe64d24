import Foundation
import ShoalCore
import Testing
@testable import ShoalCA

@Suite struct RenewalScheduleTests {
    @Test func staysBetweenHalfAndEightyPercentForManySeeds() {
        let notBefore = Date(timeIntervalSince1970: 1_800_000_000)
        let notAfter = notBefore.addingTimeInterval(90 * 86_400)
        let lower = notBefore.addingTimeInterval(45 * 86_400)
        let upper = notBefore.addingTimeInterval(72 * 86_400)
        var earliest = notAfter
        var latest = notBefore
        for seed in 0..<2000 {
            var generator = SeededGenerator(seed: UInt64(seed))
            let next = RenewalSchedule.nextRenewal(notBefore: notBefore, notAfter: notAfter, random: &generator)
            #expect(next >= lower && next < upper, "seed \(seed): \(next)")
            earliest = min(earliest, next)
            latest = max(latest, next)
        }
        // The draw covers the window rather than sticking to one point.
        #expect(earliest < lower.addingTimeInterval(86_400))
        #expect(latest > upper.addingTimeInterval(-86_400))
    }

    @Test func sameSeedSameTime() {
        let notBefore = Date(timeIntervalSince1970: 1_000)
        let notAfter = Date(timeIntervalSince1970: 101_000)
        var a = SeededGenerator(seed: 9)
        var b = SeededGenerator(seed: 9)
        #expect(
            RenewalSchedule.nextRenewal(notBefore: notBefore, notAfter: notAfter, random: &a)
                == RenewalSchedule.nextRenewal(notBefore: notBefore, notAfter: notAfter, random: &b))
    }

    @Test func degenerateWindows() {
        let start = Date(timeIntervalSince1970: 1_000)
        var generator = SeededGenerator(seed: 1)
        #expect(RenewalSchedule.nextRenewal(notBefore: start, notAfter: start, random: &generator) == start)
        #expect(RenewalSchedule.nextRenewal(notBefore: start, notAfter: start.addingTimeInterval(-5), random: &generator) == start)
        // 2 s lifetime: the 0.6 s window is too small to draw from; renew at the 50 % mark.
        #expect(
            RenewalSchedule.nextRenewal(notBefore: start, notAfter: start.addingTimeInterval(2), random: &generator)
                == start.addingTimeInterval(1))
    }

    @Test func systemGeneratorStaysInTheWindow() throws {
        let fixture = try Fixture()
        let node = try NodeCertificate.parse(fixture.chainPEM)
        let next = RenewalSchedule.nextRenewal(notBefore: node.notBefore, notAfter: node.notAfter)
        let lifetime = node.notAfter.timeIntervalSince(node.notBefore)
        #expect(next >= node.notBefore.addingTimeInterval(lifetime * 0.5))
        #expect(next < node.notBefore.addingTimeInterval(lifetime * 0.8))
    }
}
