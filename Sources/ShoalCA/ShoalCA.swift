// ShoalCA — the certificate authority of Shoal's swarm mode (SwarmKit's `ca/` package is the model).
//
// Owns: the cluster's root CA (create, load, export as PEM), signing node CSRs into node certificates,
// parsing and verifying node certificates, join tokens (`SWMTKN-1-…`, Docker's format), the renewal schedule,
// writing a node's TLS files for etcd and gRPC, and the managers' data key that seals secrets (`ClusterDataKey`).
//
// Must never: trust anything in a CSR but its public key (the CA decides subject, SANs and usages itself);
// do network I/O or touch the cluster store (callers move PEM strings); log or print private keys or token
// secrets; write a private key that anyone but its owner can read; compare token secrets in variable time.
//
// Everything here is a pure function or a value type, except `TLSFiles` and `RootCA`'s file helpers.
// Constants are in `CADefaults` (a type named `ShoalCA` would shadow the module name).

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Date {
    /// Certificates carry whole seconds: dropping the fraction up front makes `parse(sign(x))` round-trip.
    var wholeSeconds: Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down)) }
}
