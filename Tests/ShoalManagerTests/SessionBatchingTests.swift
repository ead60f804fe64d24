import ShoalCore
import Testing
@testable import ShoalManager

/// The window the two ends of a node session gather changes in grows with the sessions the leader holds: none on a
/// small cluster, 100 ms at a thousand nodes and beyond, so that the leader handles about as many session messages
/// a second whatever the cluster's size. The leader tells each node its window in its heartbeats' answers.
@Suite struct SessionBatchingTests {
    @Test func theWindowGrowsWithTheSessionsUpToItsLimit() {
        #expect(SessionBatching.window(sessions: 0) == .zero)
        #expect(SessionBatching.window(sessions: 3) == .zero)
        #expect(SessionBatching.window(sessions: 9) == .zero)
        #expect(SessionBatching.window(sessions: 10) == .milliseconds(1))
        #expect(SessionBatching.window(sessions: 100) == .milliseconds(10))
        #expect(SessionBatching.window(sessions: 1_000) == .milliseconds(100))
        #expect(SessionBatching.window(sessions: 5_000) == .milliseconds(100))
    }

    @Test func aHeartbeatAnswerCarriesTheWindowInMicroseconds() {
        var parameters = SessionParameters(heartbeatPeriod: .milliseconds(1_500), managers: [], role: .worker)
        parameters.reportGather = SessionBatching.window(sessions: 250)
        let message = DispatcherService.message(parameters)
        #expect(message.reportGatherUs == 25_000)
        #expect(message.heartbeatPeriodMs == 1_500)
        #expect(Duration.microseconds(message.reportGatherUs) == .milliseconds(25))
    }
}
