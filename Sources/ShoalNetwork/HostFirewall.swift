import Foundation
import Logging
import ShoalCore
import ShoalNFTables
import ShoalOS

/// The daemon's one nftables table. Every change renders the whole table and replaces it in a single `nft -f`
/// transaction, so the kernel never holds half a ruleset and re-applying after a crash converges.
public actor HostFirewall {
    public let table: String
    private var applied: HostRuleset?
    private let logger: Logger

    public init(table: String, logger: Logger = Logger(label: "shoal.network.firewall")) {
        self.table = table
        self.logger = logger
    }

    /// `nft -f -` with the rendered table; nothing happens when it is what the kernel already has.
    public func apply(networks: [BridgeNetworkRules], publications: [PortPublication]) async throws {
        let ruleset = HostRuleset(table: table, networks: networks, publications: publications)
        if ruleset == applied { return }
        try await run(ruleset.render())
        // The last IPv6 network gone: its `ip6` table goes too (the script above replaced only the `ip` one).
        if applied?.hasIPv6 != false && !ruleset.hasIPv6 { try? await run(HostRuleset.ipv6Removal(table: table)) }
        applied = ruleset
    }

    /// Removes the table. The daemon keeps its table across its own restarts on purpose: published ports of the
    /// containers that keep running stay reachable while it is down (Docker keeps its rules too).
    public func remove() async {
        try? await run(HostRuleset.removal(table: table))
        applied = nil
    }

    private func run(_ script: String) async throws {
        do {
            try await NFTCommand.apply(script)
        } catch {
            logger.error("nft refused the ruleset: \(error)\n\(script)")
            throw error
        }
    }
}
