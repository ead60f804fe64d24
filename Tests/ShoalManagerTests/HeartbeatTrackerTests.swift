import ShoalManager
import Testing

/// The heartbeat tracker with a fake clock: Ready on the first heartbeat and after a comeback, Down after three
/// missed periods (reported once), the period counted being the one the node was last told.
@Suite struct HeartbeatTrackerTests {
    let start = ContinuousClock.now

    func at(_ seconds: Double) -> ContinuousClock.Instant { start + .milliseconds(Int64(seconds * 1000)) }

    @Test func readyThenDownAfterThreeMissedPeriods() {
        var tracker = HeartbeatTracker()
        #expect(tracker.heartbeat("n1", at: at(0), period: .seconds(5)) == .ready("n1"))
        #expect(tracker.heartbeat("n1", at: at(5), period: .seconds(5)) == nil)
        #expect(tracker.expire(at: at(19.9)).isEmpty)
        #expect(tracker.expire(at: at(20.1)) == [.down("n1")])
        #expect(tracker.expire(at: at(30)).isEmpty, "Down is reported once")
        #expect(tracker.isDown("n1") == true)
        #expect(tracker.heartbeat("n1", at: at(31), period: .seconds(5)) == .ready("n1"))
        #expect(tracker.isDown("n1") == false)
    }

    @Test func periodCountedIsTheOneTheNodeWasTold() {
        var tracker = HeartbeatTracker()
        _ = tracker.heartbeat("slow", at: at(0), period: .seconds(5))
        _ = tracker.heartbeat("fast", at: at(0), period: .seconds(1))
        #expect(tracker.expire(at: at(3.5)) == [.down("fast")])
        #expect(tracker.expire(at: at(14)).isEmpty)
        #expect(tracker.expire(at: at(15.5)) == [.down("slow")])
    }

    @Test func aShortenedPeriodCountsOnlyFromTheNextHeartbeat() {
        var tracker = HeartbeatTracker()
        _ = tracker.heartbeat("n", at: at(0), period: .seconds(5))
        // The answer to this heartbeat tells the new 1 s period; the node may still sleep 5 s once.
        _ = tracker.heartbeat("n", at: at(5), period: .seconds(1))
        #expect(tracker.expire(at: at(10)).isEmpty)
        _ = tracker.heartbeat("n", at: at(10), period: .seconds(1))
        #expect(tracker.expire(at: at(12.9)).isEmpty)
        #expect(tracker.expire(at: at(13.1)) == [.down("n")])
    }

    @Test func watchedNodesGetAGraceTimeWithoutTransition() {
        var tracker = HeartbeatTracker()
        tracker.watch("n2", at: at(0), period: .seconds(1))
        #expect(tracker.heartbeat("n2", at: at(1), period: .seconds(1)) == nil)
        tracker.watch("n3", at: at(0), period: .seconds(1))
        #expect(tracker.expire(at: at(3.2)) == [.down("n3")])
        tracker.forget("n2")
        #expect(tracker.isDown("n2") == nil)
        #expect(tracker.expire(at: at(100)).isEmpty)
    }
}
