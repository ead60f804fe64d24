import Foundation
import ShoalClusterProto
import ShoalModel

/// What each node session is told of the tasks the leader wants on its node (the dispatcher's assignments): the
/// whole set when the session starts, then what changed for the node after each round of the task pipeline. A
/// node hears of a task from the moment it is assigned and wanted running until it is deleted; its own status reports change nothing
/// it is told (the node knows them), so a session only hears of new tasks, of changed wants (desired state, spec,
/// addresses) and of deletions.
actor AssignmentFeed {
    typealias Message = Shoal_Cluster_V1_Assignments
    typealias Assigned = Shoal_Cluster_V1_AssignedTask

    private struct Session {
        var nodeID: String
        var continuation: AsyncStream<Message>.Continuation
        /// What the session was last told of each task, status left out.
        var told: [String: Assigned]
    }

    /// The current assignments: node ID → task ID → assignment.
    private var byNode: [String: [String: Assigned]] = [:]
    private var sessions: [UUID: Session] = [:]

    /// The tasks as the last round left them, with the names and the secret and config files their nodes need.
    /// `registryAuths`: by service ID, the credentials its tasks' images are pulled with.
    func update(_ tasks: [SwarmTask], serviceNames: [String: String], networkNames: [String: String],
                files: [String: [TaskFile]] = [:], registryAuths: [String: String] = [:]) {
        var next: [String: [String: Assigned]] = [:]
        // A replacement waiting out its restart delay (desired `ready`) reaches its node once it is due: a task
        // that cannot even be prepared there (no such image) is then retried at the policy's pace, not at once.
        for task in tasks where !task.nodeID.isEmpty && task.status.state >= .assigned && task.desiredState >= .running {
            var assigned = Assigned()
            assigned.task = task.stored
            assigned.serviceName = serviceNames[task.serviceID] ?? task.serviceID
            for attachment in task.networksAttachments {
                assigned.networkNames[attachment.networkID] = networkNames[attachment.networkID] ?? attachment.networkID
            }
            assigned.files = (files[task.id] ?? []).map(\.message)
            assigned.registryAuth = registryAuths[task.serviceID] ?? ""
            next[task.nodeID, default: [:]][task.id] = assigned
        }
        byNode = next
        for id in sessions.keys { tell(id) }
    }

    /// The stream of a session of `nodeID`: the full set first. It ends when the session does (`cancel`) or the
    /// leadership does (`finish`).
    func subscribe(nodeID: String) -> (id: UUID, updates: AsyncStream<Message>) {
        let (stream, continuation) = AsyncStream<Message>.makeStream(bufferingPolicy: .unbounded)
        let id = UUID()
        let current = byNode[nodeID] ?? [:]
        var full = Message()
        full.full = true
        full.upserted = current.keys.sorted().compactMap { current[$0] }
        continuation.yield(full)
        sessions[id] = Session(nodeID: nodeID, continuation: continuation, told: current.mapValues(Self.wants))
        return (id, stream)
    }

    func cancel(_ id: UUID) {
        sessions.removeValue(forKey: id)?.continuation.finish()
    }

    func finish() {
        for session in sessions.values { session.continuation.finish() }
        sessions = [:]
    }

    private func tell(_ id: UUID) {
        guard var session = sessions[id] else { return }
        let current = byNode[session.nodeID] ?? [:]
        var message = Message()
        for taskID in current.keys.sorted() {
            guard let assigned = current[taskID] else { continue }
            let wants = Self.wants(assigned)
            if session.told[taskID] != wants {
                message.upserted.append(assigned)
                session.told[taskID] = wants
            }
        }
        for taskID in session.told.keys.sorted() where current[taskID] == nil {
            message.removed.append(taskID)
            session.told[taskID] = nil
        }
        sessions[id] = session
        if !message.upserted.isEmpty || !message.removed.isEmpty { session.continuation.yield(message) }
    }

    /// An assignment without what the node itself reports (status, times), for telling changes apart.
    private static func wants(_ assigned: Assigned) -> Assigned {
        var wants = assigned
        wants.task.clearStatus()
        wants.task.updatedAtNs = 0
        return wants
    }
}
