import ShoalCA
import Testing
@testable import ShoalManager

/// Heartbeats are answered from the role the store last gave, read again beside the answer once it is a period
/// old (one read at a time), so no heartbeat waits for the store once the node is known.
@Suite struct NodeRoleCacheTests {
    @Test func aKnownRoleIsAnsweredAndReadAgainOncePerPeriod() {
        let cache = NodeRoleCache()
        let start = ContinuousClock.now
        let period = Duration.seconds(5)
        #expect(cache.lookup("n1", now: start, freshFor: period) == nil)
        cache.record("n1", .role(.worker), read: start)
        #expect(cache.lookup("n1", now: start + .seconds(1), freshFor: period)! == (.role(.worker), false))
        // A period old: still the answer, and this caller reads again; the next one does not meanwhile.
        #expect(cache.lookup("n1", now: start + .seconds(5), freshFor: period)! == (.role(.worker), true))
        #expect(cache.lookup("n1", now: start + .seconds(6), freshFor: period)! == (.role(.worker), false))
        // The read found it promoted; a failed read lets the next heartbeat try again.
        cache.record("n1", .role(.manager), read: start + .seconds(5))
        #expect(cache.lookup("n1", now: start + .seconds(10), freshFor: period)! == (.role(.manager), true))
        cache.readFailed("n1")
        #expect(cache.lookup("n1", now: start + .seconds(11), freshFor: period)! == (.role(.manager), true))
        cache.record("n1", .removed, read: start + .seconds(11))
        #expect(cache.lookup("n1", now: start + .seconds(12), freshFor: period)?.entry == .removed)
    }

    @Test func aChangeThroughTheLeaderIsReadAtTheNextHeartbeat() {
        let cache = NodeRoleCache()
        let start = ContinuousClock.now
        cache.record("n1", .role(.worker), read: start)
        cache.forget("n1", at: start + .seconds(2))
        #expect(cache.lookup("n1", now: start + .seconds(3), freshFor: .seconds(5)) == nil)
        // A read begun before the change says too little; one begun after is kept.
        cache.record("n1", .role(.worker), read: start + .seconds(1))
        #expect(cache.lookup("n1", now: start + .seconds(3), freshFor: .seconds(5)) == nil)
        cache.record("n1", .role(.manager), read: start + .seconds(3))
        #expect(cache.lookup("n1", now: start + .seconds(4), freshFor: .seconds(5))?.entry == .role(.manager))
    }
}
