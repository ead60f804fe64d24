import Testing
@testable import ShoalCA

@Suite struct JoinTokenTests {
    static let abcDigest = CADigest(of: Array("abc".utf8))
    /// python3: digest of b'abc' and secret bytes 01..10 in base 36, padded to 50 and 25.
    static let abcToken = "SWMTKN-1-4nb7oofka9ml8nasnokxxc1unhmtpr1wxsuwhpd9km3vt5as31-025burfp0j7epb0hqfcuw340g"

    @Test func generatesDockerFormatFromFixedEntropy() {
        var replay = ReplayGenerator(bytes: Array(1...16))
        let token = JoinToken.generate(rootDigest: Self.abcDigest, using: &replay)
        #expect(token.text == Self.abcToken)
        #expect(token.version == 1)
        #expect(token.secret == "025burfp0j7epb0hqfcuw340g")
    }

    @Test func generatedTokensHaveTheRightShapeAndDiffer() throws {
        let root = try RootCA.create()
        let first = JoinToken.generate(rootDigest: root.digest)
        let second = JoinToken.generate(rootDigest: root.digest)
        let parts = first.text.split(separator: "-")
        #expect(parts.count == 4)
        #expect(parts[0] == "SWMTKN" && parts[1] == "1")
        #expect(parts[2].count == 50 && parts[3].count == 25)
        #expect(first.secret != second.secret)
        #expect(try JoinToken.parse(first.text) == first)
        #expect(first.matches(rootCA: root))
    }

    @Test func parsesAKnownToken() throws {
        let token = try JoinToken.parse("  \(Self.abcToken)\n")
        #expect(token.rootDigest == Self.abcDigest)
        #expect(token.secret == "025burfp0j7epb0hqfcuw340g")
        #expect(token.version == 1 && !token.fips)
        #expect(token.text == Self.abcToken)
    }

    @Test func parsesSwarmKitVersion2() throws {
        let body = Self.abcToken.dropFirst("SWMTKN-1-".count)
        let token = try JoinToken.parse("SWMTKN-2-1-\(body)")
        #expect(token.version == 2 && token.fips)
        #expect(token.text == "SWMTKN-2-1-\(body)")
        #expect(try JoinToken.parse("SWMTKN-2-0-\(body)").fips == false)
    }

    static let digest50 = "4nb7oofka9ml8nasnokxxc1unhmtpr1wxsuwhpd9km3vt5as31"
    static let secret25 = "025burfp0j7epb0hqfcuw340g"

    static let malformed: [(String, JoinToken.ParseFailure)] = [
        ("", .wrongPrefix),
        ("SWMTKN", .wrongPrefix),
        ("swmtkn-1-\(digest50)-\(secret25)", .wrongPrefix),
        ("SWMTKX-1-\(digest50)-\(secret25)", .wrongPrefix),
        ("SWMTKN-3-\(digest50)-\(secret25)", .unsupportedVersion("3")),
        ("SWMTKN--\(digest50)-\(secret25)", .unsupportedVersion("")),
        ("SWMTKN-1-\(digest50)", .wrongPartCount(3)),
        ("SWMTKN-1-\(digest50)-\(secret25)-x", .wrongPartCount(5)),
        ("SWMTKN-1-\(digest50)-\(secret25)-", .wrongPartCount(5)),
        ("SWMTKN-2-\(digest50)-\(secret25)", .wrongPartCount(4)),
        ("SWMTKN-2-7-\(digest50)-\(secret25)", .invalidFIPSFlag("7")),
        ("SWMTKN-1-\(digest50.dropLast())-\(secret25)", .digestLength(49)),
        ("SWMTKN-1-\(digest50)0-\(secret25)", .digestLength(51)),
        ("SWMTKN-1-\(digest50)-\(secret25.dropLast())", .secretLength(24)),
        ("SWMTKN-1-\(digest50)-\(secret25)a", .secretLength(26)),
        ("SWMTKN-1-\(digest50.uppercased())-\(secret25)", .digestCharacters),
        ("SWMTKN-1-\(digest50.dropLast())_-\(secret25)", .digestCharacters),
        ("SWMTKN-1-\(digest50)-\(secret25.dropLast())!", .secretCharacters),
        ("SWMTKN-1-\(digest50)-\(secret25.dropLast())é", .secretLength(26)),
        // 2^256 and 2^128 in base 36: one more than the largest digest and secret.
        ("SWMTKN-1-6dp5qcb22im238nr3wvp0ic7q99w035jmy2iw7i6n43d37jtog-\(secret25)", .digestOutOfRange),
        ("SWMTKN-1-\(digest50)-f5lxx1zz5pnorynqglhzmsp34", .secretOutOfRange),
    ]

    @Test(arguments: malformed)
    func rejectsMalformedTokens(text: String, failure: JoinToken.ParseFailure) {
        let error = caError { _ = try JoinToken.parse(text) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message == "invalid join token")
        #expect(error?.cause as? JoinToken.ParseFailure == failure)
        #expect(error?.description.hasPrefix("invalid join token: ") == true)
    }

    @Test func largestValuesParse() throws {
        let token = try JoinToken.parse(
            "SWMTKN-1-6dp5qcb22im238nr3wvp0ic7q99w035jmy2iw7i6n43d37jtof-f5lxx1zz5pnorynqglhzmsp33")
        #expect(token.rootDigest.bytes == [UInt8](repeating: 0xff, count: 32))
    }

    @Test func joiningSideChecksTheRemoteCADigest() throws {
        let root = try RootCA.create()
        let impostor = try RootCA.create()
        let token = try JoinToken.parse(JoinToken.generate(rootDigest: root.digest).text)
        #expect(token.matches(rootCA: root))
        #expect(token.matches(rootCA: root.withoutKey))
        #expect(!token.matches(rootCA: impostor))
        try token.verifyRemoteCA(root)
        let error = caError { try token.verifyRemoteCA(impostor) }
        #expect(error?.code == .permissionDenied)
        #expect(error?.message == "remote CA does not match fingerprint. Expected: \(root.digest.hex)")
    }

    @Test func managerSideAcceptsOnlyTheSameToken() throws {
        let root = try RootCA.create()
        let worker = JoinToken.generate(rootDigest: root.digest)
        let manager = JoinToken.generate(rootDigest: root.digest)
        #expect(worker.accepts(try JoinToken.parse(worker.text)))
        #expect(!worker.accepts(manager))
        let otherCA = JoinToken(version: 1, fips: false, rootDigest: CADigest(of: [1]), secret: worker.secret)
        #expect(!worker.accepts(otherCA))
        #expect(worker != manager)
    }

    @Test func constantTimeComparison() {
        #expect(JoinToken.constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!JoinToken.constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!JoinToken.constantTimeEquals(Array("xbc".utf8), Array("abc".utf8)))
        #expect(!JoinToken.constantTimeEquals(Array("abc".utf8), Array("abcd".utf8)))
        #expect(JoinToken.constantTimeEquals([], []))
    }

    @Test func descriptionHidesTheSecret() throws {
        let token = try JoinToken.parse(Self.abcToken)
        #expect(!"\(token)".contains(token.secret))
        #expect("\(token)".hasPrefix("SWMTKN-1-\(Self.digest50)-"))
    }
}
