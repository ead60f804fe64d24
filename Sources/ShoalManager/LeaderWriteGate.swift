/// One writer at a time among the leader's stores whose checks read each other's tables: a service may only name
/// secrets and configs that exist, and a secret or config may only go while no service names it. The store has no
/// unique index and no "no key under this prefix changed" condition, so a service create and a secret remove that
/// each checked before the other committed could both win. The leader is the only writer of all three, so one at a
/// time here is one at a time everywhere. Waiters are served in arrival order.
actor LeaderWriteGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
    }

    func leave() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }
}

extension LeaderWriteGate {
    /// Runs `body` (on the caller's isolation) while no other writer of the gate runs.
    func exclusively<T: Sendable>(isolation: isolated (any Actor)? = #isolation,
                                              _ body: () async throws -> T) async throws -> T {
        await enter()
        do {
            let result = try await body()
            await leave()
            return result
        } catch {
            await leave()
            throw error
        }
    }
}
