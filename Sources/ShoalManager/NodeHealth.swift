import Foundation
import Logging
import ShoalClusterClient
import ShoalClusterStore
import ShoalCore
import ShoalModel

/// The leader's judge of node health for one term: heartbeats (a node's session, a manager's answer to a probe)
/// keep a node Ready, three missed periods make it Down. A manager's reachability is judged apart, from the
/// probes of its control API alone (as Docker's comes from the raft, not the session): a manager whose agent
/// still heartbeats but whose API stops answering is Ready and Unreachable. Each decision is written to the store
/// fenced by the term (a deposed leader decides nothing), and the endpoint feed is told of state changes, so a
/// Down node's endpoints are withdrawn everywhere until it is back. A new term starts a new judge that gives every
/// node the store remembers as Ready one full grace time to reach the new leader.
actor NodeHealth {
    private var tracker = HeartbeatTracker()
    /// The other managers' control APIs, by their answers to probes.
    private var reachability = HeartbeatTracker()
    /// The managers this term has recorded Reachable since it began or since they last became Unreachable: the
    /// store may still say Unreachable from an earlier term (a leader that died after marking a manager that then
    /// came up), and the tracker reports no change for a manager it has only ever seen answer.
    private var confirmedReachable: Set<String> = []
    private let objects: SwarmObjects
    private let fence: LeaderFence
    private let feed: EndpointFeed
    private let logger: Logger

    init(objects: SwarmObjects, fence: LeaderFence, feed: EndpointFeed, ready: [String], period: Duration,
         logger: Logger) {
        self.objects = objects
        self.fence = fence
        self.feed = feed
        self.logger = logger
        for node in ready { tracker.watch(node, at: .now, period: period) }
    }

    /// A heartbeat from `nodeID`, just told `period`: a node that was unknown or Down is Ready again.
    func heartbeat(_ nodeID: String, period: Duration) async throws {
        guard seen(nodeID, period: period) else { return }
        try await becameReady(nodeID)
    }

    /// Counts a heartbeat the moment it arrives (no store call on the way); true when the node was unknown or
    /// Down, and `becameReady` is to follow once the node is known to be in the cluster still.
    func seen(_ nodeID: String, period: Duration) -> Bool {
        guard case .ready = tracker.heartbeat(nodeID, at: .now, period: period) else { return false }
        return true
    }

    /// Records Ready a node that `seen` found unknown or Down.
    func becameReady(_ nodeID: String) async throws {
        do {
            try await setState(nodeID, .ready)
        } catch {
            tracker.forget(nodeID)
            throw error
        }
    }

    /// A node that just joined: watched as if just seen (no transition; it is stored Ready already).
    func watch(_ nodeID: String, period: Duration) {
        tracker.watch(nodeID, at: .now, period: period)
    }

    func forget(_ nodeID: String) {
        tracker.forget(nodeID)
        reachability.forget(nodeID)
        confirmedReachable.remove(nodeID)
    }

    /// When `nodeID` was last heard from in this term (tests).
    func lastSeen(_ nodeID: String) -> ContinuousClock.Instant? { tracker.entries[nodeID]?.lastSeen }

    /// The other managers' control APIs, asked at once: an answer counts as that manager's heartbeat, beside its
    /// agent's session, so a manager whose daemon is gone is Down and Unreachable after three periods, like a
    /// worker.
    func probe(_ managers: [(nodeID: String, address: String)], rootCAPEM: String,
               identity: ControlChannel.Identity, period: Duration) async {
        guard !managers.isEmpty else { return }
        let answered = await withTaskGroup(of: (String, Bool).self) { group in
            for manager in managers {
                group.addTask {
                    (manager.nodeID, await ControlChannel.answers(address: manager.address, rootCAPEM: rootCAPEM,
                                                                  identity: identity))
                }
            }
            var answered: [String] = []
            for await (nodeID, ok) in group where ok { answered.append(nodeID) }
            return answered
        }
        await recordProbes(asked: managers.map(\.nodeID), answered: answered, period: period)
    }

    /// The probes' outcome: an answer is a heartbeat, and keeps (or makes) the manager Reachable; a manager that
    /// has not answered for three periods becomes Unreachable at the next `expire`.
    func recordProbes(asked: [String], answered: [String], period: Duration) async {
        for nodeID in asked { reachability.watch(nodeID, at: .now, period: period) }
        for nodeID in answered {
            try? await heartbeat(nodeID, period: period)
            let change = reachability.heartbeat(nodeID, at: .now, period: period)
            if case .ready = change {} else if confirmedReachable.contains(nodeID) { continue }
            await storeReachability(nodeID, .reachable)
            confirmedReachable.insert(nodeID)
        }
    }

    /// The nodes whose heartbeats stopped: Down; the managers whose API stopped answering: Unreachable.
    func expire() async {
        for case .down(let nodeID) in reachability.expire(at: .now) {
            confirmedReachable.remove(nodeID)
            await storeReachability(nodeID, .unreachable)
        }
        let expired = tracker.expire(at: .now).compactMap { transition -> String? in
            guard case .down(let nodeID) = transition else { return nil }
            return nodeID
        }
        guard !expired.isEmpty else { return }
        // Nodes that went silent together (a rack, a zone) are written Down in one write: the orchestrator then
        // replaces all their tasks in one round, not one round per node.
        var oneByOne = expired
        if expired.count > 1 {
            do {
                let (stored, left) = try await objects.updateNodes(expired, fencedBy: fence,
                                                                   Self.setting(.down, message: Self.downMessage))
                oneByOne = left
                for nodeID in stored {
                    await feed.nodeDown(nodeID)
                    logDown(nodeID)
                    // A heartbeat that came while the write was on its way.
                    if tracker.entries[nodeID]?.down == false { try? await setState(nodeID, .ready) }
                }
            } catch {
                logger.error("swarm: cannot mark nodes \(expired) down: \(error)")
            }
        }
        for nodeID in oneByOne {
            do {
                try await setState(nodeID, .down, message: Self.downMessage)
                logDown(nodeID)
            } catch {
                logger.error("swarm: cannot mark node \(nodeID) down: \(error)")
            }
        }
    }

    private static let downMessage = "heartbeat failure"

    /// The change that gives a node `state` and `message` (nothing to change when it has the state already).
    private static func setting(_ state: NodeState, message: String) -> @Sendable (inout SwarmNode) -> Bool {
        { node in
            guard node.status.state != state else { return false }
            node.status.state = state
            node.status.message = message
            return true
        }
    }

    private func logDown(_ nodeID: String) {
        logger.info("swarm: node \(nodeID) is down (no heartbeat for \(HeartbeatTracker.missedPeriods) periods)")
    }

    /// Writes the state (compare-and-swap, retried when a node update raced it; fenced by the term), then lets the
    /// endpoint feed follow it (also when the store had it already). This actor takes other calls while a write is
    /// on its way, so the judgement may change meanwhile (a node marked Down heartbeats, and its Ready is written
    /// before the Down that started first): the write is repeated until the store holds the latest judgement.
    private func setState(_ nodeID: String, _ state: NodeState, message: String = "") async throws {
        var target = (state, message)
        while true {
            try await storeState(nodeID, target.0, message: target.1)
            if target.0 == .ready { await feed.nodeReady(nodeID) } else { await feed.nodeDown(nodeID) }
            guard let down = tracker.entries[nodeID]?.down else { return }
            let judged: NodeState = down ? .down : .ready
            guard judged != target.0 else { return }
            target = (judged, down ? Self.downMessage : "")
        }
    }

    private func storeState(_ nodeID: String, _ state: NodeState, message: String) async throws {
        let stored = try await objects.updateNode(nodeID, fencedBy: fence, Self.setting(state, message: message))
        guard stored != nil else { throw ShoalError.notFound("node \(nodeID) not found") }
    }

    private func storeReachability(_ nodeID: String, _ value: ManagerReachability) async {
        do {
            try await objects.updateNode(nodeID, fencedBy: fence) { node in
                guard let status = node.managerStatus, status.reachability != value else { return false }
                node.managerStatus?.reachability = value
                return true
            }
            if value == .unreachable { logger.info("swarm: manager \(nodeID)'s control API does not answer") }
        } catch {
            logger.error("swarm: cannot record manager \(nodeID) as \(value.rawValue): \(error)")
        }
    }
}
