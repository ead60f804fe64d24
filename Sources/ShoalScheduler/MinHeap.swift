/// A binary min-heap: the scheduler pops the best node (or branch) and pushes it back with its new rank, so a
/// placement costs O(log n) instead of a sort of every node per task.
struct MinHeap<Element: Comparable>: Sendable where Element: Sendable {
    private var storage: [Element] = []

    init() {}

    init(_ elements: [Element]) {
        storage = elements
        guard storage.count > 1 else { return }
        for index in stride(from: storage.count / 2 - 1, through: 0, by: -1) { siftDown(from: index) }
    }

    var isEmpty: Bool { storage.isEmpty }
    var count: Int { storage.count }

    mutating func push(_ element: Element) {
        storage.append(element)
        siftUp(from: storage.count - 1)
    }

    mutating func popMin() -> Element? {
        guard let last = storage.popLast() else { return nil }
        guard !storage.isEmpty else { return last }
        let top = storage[0]
        storage[0] = last
        siftDown(from: 0)
        return top
    }

    private mutating func siftUp(from start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard storage[child] < storage[parent] else { return }
            storage.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < storage.count else { return }
            var smallest = left
            if left + 1 < storage.count && storage[left + 1] < storage[left] { smallest = left + 1 }
            guard storage[smallest] < storage[parent] else { return }
            storage.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
