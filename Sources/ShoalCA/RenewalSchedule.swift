#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// When a node renews its certificate: at a random point between 50 % and 80 % of its lifetime
/// (SwarmKit's `calculateRandomExpiry`). The randomness spreads renewals of nodes that joined together, so the
/// CA does not face a thundering herd; the 20 % left over covers retries while a manager is unreachable.
public enum RenewalSchedule {
    public static let lowerFraction = 0.5
    public static let upperFraction = 0.8

    /// The renewal time for a certificate valid from `notBefore` to `notAfter`, drawn with the system generator.
    public static func nextRenewal(notBefore: Date, notAfter: Date) -> Date {
        var generator = SystemRandomNumberGenerator()
        return nextRenewal(notBefore: notBefore, notAfter: notAfter, random: &generator)
    }

    /// The renewal time for a certificate valid from `notBefore` to `notAfter`, drawn uniformly from
    /// [notBefore + 50 % of the lifetime, notBefore + 80 %) with `random`. A lifetime under a few seconds
    /// (or a reversed window) gives the lower bound: renew at once rather than never.
    public static func nextRenewal(notBefore: Date, notAfter: Date, random: inout some RandomNumberGenerator) -> Date {
        let lifetime = notAfter.timeIntervalSince(notBefore)
        guard lifetime > 0 else { return notBefore }
        let lower = lifetime * lowerFraction
        let upper = lifetime * upperFraction
        // SwarmKit draws whole minutes; seconds keep the spread for short test certificates too.
        guard upper - lower >= 1 else { return notBefore.addingTimeInterval(lower) }
        return notBefore.addingTimeInterval(Double.random(in: lower..<upper, using: &random))
    }
}
