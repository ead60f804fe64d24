import ShoalModel
import Synchronization

/// Each task's JSON, kept by ID for the store version it was made from. A `GET /tasks` answers with every task of
/// a service, and `docker service ps`, a deploy's progress or a script poll it: a task changes a handful of times
/// in its life, yet encoding its wire form (its spec, three dates) was two thirds of the daemon's CPU for the
/// request, 9 ms for 50 tasks. A version pins the whole object, so a task with the same ID and version has the
/// same JSON. Tasks without a store version (0) are encoded each time.
final class TaskJSONCache: Sendable {
    private struct Entry {
        var version: UInt64
        var json: [UInt8]
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// The JSON array of `tasks`' wire forms, as `Wire.encode(tasks.map(\.wire))` would write it. `existing` is every
    /// task the store holds now: the entries of the others go.
    func json(of tasks: [SwarmTask], existing: [SwarmTask]) -> [UInt8] {
        var parts: [[UInt8]?] = entries.withLock { entries in
            tasks.map { task in
                guard task.version != 0, let entry = entries[task.id], entry.version == task.version else { return nil }
                return entry.json
            }
        }
        var made: [(String, Entry)] = []
        for index in tasks.indices where parts[index] == nil {
            let json = Wire.encode(tasks[index].wire)
            parts[index] = json
            if tasks[index].version != 0 {
                made.append((tasks[index].id, Entry(version: tasks[index].version, json: json)))
            }
        }
        entries.withLock { entries in
            for (id, entry) in made { entries[id] = entry }
            if entries.count > existing.count {
                let kept = Set(existing.lazy.map(\.id))
                entries = entries.filter { kept.contains($0.key) }
            }
        }
        var array: [UInt8] = [UInt8(ascii: "[")]
        array.reserveCapacity(parts.reduce(2) { $0 + ($1?.count ?? 0) + 1 })
        for (index, part) in parts.enumerated() {
            if index > 0 { array.append(UInt8(ascii: ",")) }
            array.append(contentsOf: part ?? [])
        }
        array.append(UInt8(ascii: "]"))
        return array
    }

    /// How many tasks have their JSON kept (for tests).
    var count: Int { entries.withLock { $0.count } }
}
