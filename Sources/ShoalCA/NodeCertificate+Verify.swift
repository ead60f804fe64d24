#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import X509

extension NodeCertificate {
    /// Checks that this certificate may be trusted at `now`: `root` issued it (issuer name and signature), the
    /// root is a CA valid at `now`, and `now` lies in this certificate's validity window. Messages follow Go's
    /// x509 package, which is what Docker users see for the same failures.
    public func verify(against root: RootCA, at now: Date = Date()) throws {
        guard certificate.issuer == root.certificate.subject,
            root.certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
        else {
            throw CAError(.permissionDenied, "x509: certificate signed by unknown authority")
        }
        guard case .isCertificateAuthority = try? root.certificate.extensions.basicConstraints else {
            throw CAError(.permissionDenied, "x509: issuer of the certificate is not a CA")
        }
        try Self.checkValidity(notBefore: root.notBefore, notAfter: root.notAfter, now: now, what: "root CA certificate")
        try Self.checkValidity(notBefore: notBefore, notAfter: notAfter, now: now, what: "certificate")
    }

    /// This certificate's validity window contains `now`.
    func checkValidity(at now: Date) throws {
        try Self.checkValidity(notBefore: notBefore, notAfter: notAfter, now: now, what: "certificate")
    }

    private static func checkValidity(notBefore: Date, notAfter: Date, now: Date, what: String) throws {
        let stamp = Date.ISO8601FormatStyle()
        if now > notAfter {
            throw CAError(
                .permissionDenied,
                "x509: \(what) has expired or is not yet valid: current time \(now.formatted(stamp)) is after \(notAfter.formatted(stamp))"
            )
        }
        if now < notBefore {
            throw CAError(
                .permissionDenied,
                "x509: \(what) has expired or is not yet valid: current time \(now.formatted(stamp)) is before \(notBefore.formatted(stamp))"
            )
        }
    }
}
