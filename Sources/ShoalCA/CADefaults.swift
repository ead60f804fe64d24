/// The CA's fixed numbers, with SwarmKit's values (ca/certificates.go) so Shoal certificates behave like Docker's.
public enum CADefaults {
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

    /// One year for a credentials bundle's certificate (Carina's bundles did not expire; a year bounds a lost
    /// bundle that nobody revoked).
    public static let userCertificateValidity: Duration = .seconds(365 * 24 * 3600)
}
