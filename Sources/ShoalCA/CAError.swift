import ShoalCore

/// Every ShoalCA function throws the project's one error. Messages follow Docker and Go's x509 package where those
/// have one (`invalid join token`, `x509: certificate signed by unknown authority`, …) because users search for
/// them; codes: invalidArgument (malformed token, PEM, CSR, address), permissionDenied (a failed trust check:
/// wrong CA, bad signature, expiry, CA digest mismatch), invalidState (e.g. signing without the CA key),
/// internalError (the crypto library or the file system).
public typealias CAError = ShoalError
