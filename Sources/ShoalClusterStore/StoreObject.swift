import ShoalCore
import SwiftProtobuf

/// A protobuf message kept in a typed table of the cluster store (`StoreTable`). It names its table and carries
/// its own ID; the table turns those into the object's key, `/shoal/objects/<table>/<id>`. Its version is never a
/// field: it is the store's mod revision of that key (`Versioned`).
public protocol StoreObject: SwiftProtobuf.Message, Equatable, Sendable {
    /// The table's name, one path segment ("networks").
    static var table: String { get }
    /// The object's ID, unique in its table: one path segment, not empty.
    var id: String { get }
}

/// An object as read from the store, with the revisions that version it.
public struct Versioned<Object: StoreObject>: Sendable, Equatable {
    public var object: Object
    /// The store's mod revision of the object's key: pass it back to `StoreTable.update(_:ifVersion:)` to write
    /// only if nobody changed the object since it was read.
    public var version: Int64
    /// The revision the object was created at (the same incarnation of the ID whatever its later updates).
    public var createRevision: Int64

    public init(object: Object, version: Int64, createRevision: Int64) {
        self.object = object
        self.version = version
        self.createRevision = createRevision
    }

    public var id: String { object.id }
}

/// A commit's changes and the conditions they need, built by `StoreTable` (and fenced by `LeaderFence`), so that
/// callers compose transactions over several objects and tables without writing a key or a revision compare.
public struct StoreWrite: Sendable, Equatable {
    public var changes: [StoreChange]
    public var conditions: [StoreCondition]

    public init(changes: [StoreChange] = [], conditions: [StoreCondition] = []) {
        self.changes = changes
        self.conditions = conditions
    }

    /// Both writes in one transaction: every change, if every condition holds.
    public static func + (lhs: StoreWrite, rhs: StoreWrite) -> StoreWrite {
        StoreWrite(changes: lhs.changes + rhs.changes, conditions: lhs.conditions + rhs.conditions)
    }

    /// Appends in place: a round that adds one task's write at a time to a write of 100,000 stays linear.
    public static func += (lhs: inout StoreWrite, rhs: StoreWrite) {
        lhs.changes.append(contentsOf: rhs.changes)
        lhs.conditions.append(contentsOf: rhs.conditions)
    }

    /// This write, applied only while `fence`'s leader is still the last one to have claimed the lead.
    public func fenced(by fence: LeaderFence) -> StoreWrite {
        StoreWrite(changes: changes, conditions: conditions + [fence.condition])
    }
}
