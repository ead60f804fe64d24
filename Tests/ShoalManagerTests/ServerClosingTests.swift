import Testing
@testable import ShoalManager

/// The scope the control API runs each RPC in: untouched while the server serves, cancelled when it closes (an
/// RPC begun after that is cancelled at once), so a graceful shutdown never waits for endless node sessions.
@Suite struct ServerClosingTests {
    @Test func closingCancelsTheRPCsItScopes() async throws {
        let closing = ServerClosing()
        #expect(try await closing.scoped { 42 } == 42)

        let endless = Task { try await closing.scoped { try await Task.sleep(for: .seconds(3600)) } }
        let answered = Task { try await closing.scoped { "kept" } }
        #expect(try await answered.value == "kept")
        closing.close()
        await #expect(throws: CancellationError.self) { try await endless.value }
        // What an RPC returns when it sees the cancellation is kept.
        let ended = try await closing.scoped {
            (try? await Task.sleep(for: .seconds(3600))) == nil ? "ended" : "slept"
        }
        #expect(ended == "ended")
        await closing.closed()
    }

    @Test func aWaiterThatIsCancelledStopsWaiting() async {
        let closing = ServerClosing()
        let waiter = Task { await closing.closed() }
        waiter.cancel()
        await waiter.value
    }
}
