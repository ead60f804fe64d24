import Foundation

extension SwarmMembership {
    /// The leader wants this node to hold other trust roots (a root rotation began or ended): a new certificate
    /// from the managers brings them, and its issuer tells the leader the node moved. The agent reports a change
    /// once, so a failed renewal is tried again here a few times.
    func trustRootsChanged() async {
        for attempt in 1...5 {
            do {
                try await renewCertificate()
                return
            } catch {
                logger.warning("swarm: renewal for the new trust roots failed (attempt \(attempt)): \(error)")
                try? await Task.sleep(for: .seconds(attempt))
            }
        }
    }
}
