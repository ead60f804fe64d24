// ShoalCA — the certificate authority of Shoal's swarm mode (SwarmKit's `ca/` package is the model).
//
// Owns: the cluster's root CA (create, load, export as PEM), signing node CSRs into node certificates,
// parsing and verifying node certificates, join tokens (`SWMTKN-1-…`, Docker's format), the renewal schedule,
// and writing a node's TLS files for etcd and gRPC.
//
// Must never: trust anything in a CSR but its public key (the CA decides subject, SANs and usages itself);
// do network I/O or touch the cluster store (callers move PEM strings); log or print private keys or token
// secrets; write a private key that anyone but its owner can read; compare token secrets in variable time.
//
// Everything here is a pure function or a value type, except `TLSFiles` and `RootCA`'s file helpers.

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The CA's fixed numbers, with SwarmKit's values (ca/certificates.go) so Shoal certificates behave like Docker's.
public enum ShoalCA {
    /// Common name of every swarm root CA; also a DNS SAN of manager certificates (nodes ask "swarm-ca" for CSRs).
    public static let rootCommonName = "swarm-ca"

    /// 20 years, SwarmKit's `RootCAExpiration` (630720000 s).
    public static let rootCAValidity: Duration = .seconds(630_720_000)

    /// 90 days, SwarmKit's `DefaultNodeCertExpiration` (2160 h); Docker's `--cert-expiry` default.
    public static let defaultNodeCertificateValidity: Duration = .seconds(2160 * 3600)

    /// One hour, SwarmKit's `MinNodeCertExpiration`: shorter certificates would renew too often to be useful.
    public static let minimumNodeCertificateValidity: Duration = .seconds(3600)

    /// notBefore is set this far in the past so a node whose clock lags the CA's still accepts a fresh
    /// certificate (SwarmKit's `CertBackdate`).
    public static let certificateBackdate: Duration = .seconds(3600)
}

extension Duration {
    /// The duration in seconds as a `Double` (Foundation's `Date` arithmetic wants a `TimeInterval`).
    var timeInterval: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}

extension Date {
    /// Certificates carry whole seconds: dropping the fraction up front makes `parse(sign(x))` round-trip.
    var wholeSeconds: Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down)) }
}
