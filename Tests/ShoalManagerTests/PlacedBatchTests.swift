import Foundation
import ShoalModel
import Testing
@testable import ShoalManager

/// The placed tasks a round gathers for the nodes go once there are enough of them or the first has waited long
/// enough; taking the batch empties it.
@Suite struct PlacedBatchTests {
    static func tasks(_ count: Int, from first: Int = 0) -> [SwarmTask] {
        (first..<first + count).map { index in
            SwarmTask(id: "t\(index)", createdAt: Date(), serviceID: "s", slot: index, spec: TaskSpec(containerSpec: TaskContainerSpec(image: "busybox")),
                      status: TaskStatus(timestamp: Date(), state: .assigned))
        }
    }

    @Test func aBatchIsDueBySizeOrByAge() {
        let start = ContinuousClock.now
        var batch = PlacedBatch()
        var due = batch.add(Self.tasks(PlacedBatch.size - 1), messages: [:], now: start)
        #expect(!due)
        due = batch.add(Self.tasks(1, from: PlacedBatch.size), messages: [:], now: start)
        #expect(due)
        let taken = batch.take()
        #expect(taken.tasks.count == PlacedBatch.size && batch.tasks.isEmpty)

        // The age counts from the first task of the batch.
        due = batch.add(Self.tasks(1), messages: [:], now: start)
        #expect(!due)
        due = batch.add(Self.tasks(1, from: 1), messages: [:], now: start + PlacedBatch.wait / 2)
        #expect(!due)
        due = batch.add(Self.tasks(1, from: 2), messages: [:], now: start + PlacedBatch.wait)
        #expect(due)
        #expect(batch.take().tasks.map(\.id) == ["t0", "t1", "t2"])
        due = batch.add(Self.tasks(1), messages: [:], now: start + PlacedBatch.wait * 3)
        #expect(!due)
    }
}
