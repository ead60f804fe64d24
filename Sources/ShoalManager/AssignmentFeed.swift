import Foundation
import ShoalClusterProto
import ShoalModel
import SwiftProtobuf
import Synchronization

/// What each node session is told of the tasks the leader wants on its node (the dispatcher's assignments): the
/// whole set when the session starts, then what changed for the node after each round of the task pipeline (the
/// round passes only the tasks whose stored version moved, so a round's cost follows its changes, not the table). A
/// node hears of a task from the moment it is assigned and wanted running until it is deleted; its own status reports change nothing
/// it is told (the node knows them), so a session only hears of new tasks, of changed wants (desired state, spec,
/// addresses) and of deletions.
///
/// A session is told at its node's pace: a round only marks the session's tasks as changed, and the session builds
/// its next message when its node has read the last one (`next`). A slow node then gets one message with
/// everything that changed meanwhile, each task as it now stands, instead of a queue of every round's messages
/// held in the leader's memory.
actor AssignmentFeed {
    typealias Message = Shoal_Cluster_V1_Assignments
    typealias Assigned = Shoal_Cluster_V1_AssignedTask

    private struct Session {
        var nodeID: String
        /// What the session was last told of each task, status left out, encoded (a tenth of the message's
        /// size in memory: a leader's sessions hold one for each of 100,000 tasks).
        var told: [String: [UInt8]]
        /// The whole set, until the session takes it.
        var full: Message?
        /// Tasks of its node (or that left it) changed since the session's last message.
        var changed: Set<String> = []
        /// The session waiting for a change (`next`).
        var waiter: CheckedContinuation<Void, Never>?
    }

    /// What `submit` handed over and `update` has not applied yet, in order, and whether a task applies them.
    private struct Inbox {
        var pending: [Update] = []
        var draining = false
    }

    /// What a round (or a batch of its placements) changed: `changed` are the tasks whose stored version moved
    /// since the last update (as they now stand), `removed` the tasks deleted since; with the names and the secret
    /// and config files their nodes need. `registryAuths`: by service ID, the credentials its tasks' images are
    /// pulled with; `messages`: tasks of `changed` as stored, when the caller has them (they are not converted
    /// again). Only the sessions of the nodes concerned compare anything, and only for these tasks.
    struct Update: Sendable {
        var changed: [SwarmTask]
        var removed: [String]
        var serviceNames: [String: String]
        var networkNames: [String: String]
        var files: [String: [TaskFile]] = [:]
        var registryAuths: [String: String] = [:]
        var messages: [String: TaskMessage] = [:]
    }

    private nonisolated let inbox = Mutex(Inbox())

    /// The current assignments: node ID → task ID → assignment.
    private var byNode: [String: [String: Assigned]] = [:]
    /// Which node each assigned task is on.
    private var nodeOf: [String: String] = [:]
    private var sessions: [UUID: Session] = [:]

    /// Hands `update` over without waiting for it to be applied; updates are applied in the order they are
    /// handed over. The pipeline goes on placing while the sessions are told: waiting here held a big create's
    /// commits behind the feed's work for a thousand sessions (27 of a 38 s round's commits at 1,000 nodes).
    nonisolated func submit(_ update: Update) {
        let start = inbox.withLock { inbox in
            inbox.pending.append(update)
            defer { inbox.draining = true }
            return !inbox.draining
        }
        if start { Task { await self.drainInbox() } }
    }

    private func drainInbox() {
        while true {
            applySubmitted()
            let drained = inbox.withLock { inbox in
                if inbox.pending.isEmpty { inbox.draining = false }
                return !inbox.draining
            }
            if drained { return }
        }
    }

    /// Applies what was submitted and is not applied yet.
    private func applySubmitted() {
        let next = inbox.withLock { inbox in
            defer { inbox.pending = [] }
            return inbox.pending
        }
        for next in next { update(next) }
    }

    /// Applies `update` now (the feed's own drain, and tests).
    func update(_ update: Update) {
        var touched: [String: [String]] = [:]
        for id in update.removed {
            guard let nodeID = nodeOf.removeValue(forKey: id) else { continue }
            byNode[nodeID]?[id] = nil
            touched[nodeID, default: []].append(id)
        }
        for task in update.changed {
            // A replacement waiting out its restart delay (desired `ready`) reaches its node once it is due: a
            // task that cannot even be prepared there (no such image) is then retried at the policy's pace.
            let assigned = !task.nodeID.isEmpty && task.status.state >= .assigned && task.desiredState >= .running
            if let nodeID = nodeOf[task.id], !assigned || nodeID != task.nodeID {
                byNode[nodeID]?[task.id] = nil
                nodeOf[task.id] = nil
                touched[nodeID, default: []].append(task.id)
            }
            guard assigned else { continue }
            var assignment = Assigned()
            assignment.task = update.messages[task.id] ?? task.stored
            assignment.serviceName = update.serviceNames[task.serviceID] ?? task.serviceID
            for attachment in task.networksAttachments {
                assignment.networkNames[attachment.networkID] =
                    update.networkNames[attachment.networkID] ?? attachment.networkID
            }
            assignment.files = (update.files[task.id] ?? []).map(\.message)
            assignment.registryAuth = update.registryAuths[task.serviceID] ?? ""
            byNode[task.nodeID, default: [:]][task.id] = assignment
            nodeOf[task.id] = task.nodeID
            touched[task.nodeID, default: []].append(task.id)
        }
        for (id, session) in sessions {
            guard let taskIDs = touched[session.nodeID] else { continue }
            sessions[id]?.changed.formUnion(taskIDs)
            sessions[id]?.waiter?.resume()
            sessions[id]?.waiter = nil
        }
    }

    /// The stream of a session of `nodeID`: the full set first. It ends when the session does (`cancel`) or the
    /// leadership does (`finish`).
    func subscribe(nodeID: String) -> (id: UUID, updates: AsyncStream<Message>) {
        // The full set holds everything submitted so far.
        applySubmitted()
        let id = UUID()
        let current = byNode[nodeID] ?? [:]
        var full = Message()
        full.full = true
        full.upserted = current.keys.sorted().compactMap { current[$0] }
        sessions[id] = Session(nodeID: nodeID, told: current.mapValues(Self.wants), full: full)
        return (id, AsyncStream { await self.next(id) })
    }

    /// The session's next message, once there is something to tell; nil once the session or the term ended.
    func next(_ id: UUID) async -> Message? {
        while let session = sessions[id] {
            if let full = session.full {
                sessions[id]?.full = nil
                return full
            }
            if !session.changed.isEmpty {
                sessions[id]?.changed = []
                if let message = tell(id, about: session.changed) { return message }
                continue
            }
            await withCheckedContinuation { sessions[id]?.waiter = $0 }
            // Woken by a change: on a large cluster the changes of the next moments go in the same message (a big
            // create changes each node's tasks many times a second; swarmkit's dispatcher batches its assignments
            // likewise). A small one tells each change at once.
            let window = SessionBatching.window(sessions: sessions.count)
            if window > .zero { try? await Task.sleep(for: window) }
        }
        return nil
    }

    func cancel(_ id: UUID) {
        sessions.removeValue(forKey: id)?.waiter?.resume()
    }

    func finish() {
        for session in sessions.values { session.waiter?.resume() }
        sessions = [:]
    }

    /// What changed of `taskIDs` (tasks of the session's node, or that left it) since the session was last told;
    /// nil when nothing it would be told did.
    private func tell(_ id: UUID, about taskIDs: Set<String>) -> Message? {
        guard var session = sessions[id] else { return nil }
        let current = byNode[session.nodeID] ?? [:]
        var message = Message()
        for taskID in taskIDs.sorted() {
            if let assigned = current[taskID] {
                let wants = Self.wants(assigned)
                if session.told[taskID] != wants {
                    message.upserted.append(assigned)
                    session.told[taskID] = wants
                }
            } else if session.told.removeValue(forKey: taskID) != nil {
                message.removed.append(taskID)
            }
        }
        sessions[id] = session
        return message.upserted.isEmpty && message.removed.isEmpty ? nil : message
    }

    /// An assignment without what the node itself reports (status, times), for telling changes apart: its
    /// deterministic encoding.
    private static func wants(_ assigned: Assigned) -> [UInt8] {
        var wants = assigned
        wants.task.clearStatus()
        wants.task.updatedAtNs = 0
        var options = BinaryEncodingOptions()
        options.useDeterministicOrdering = true
        // These messages have no required fields: encoding them cannot fail.
        return (try? wants.serializedBytes(options: options)) ?? []
    }
}
