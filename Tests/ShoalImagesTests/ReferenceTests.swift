import Foundation
import ShoalCore
import ShoalOCI
import Testing

@Suite struct ReferenceTests {
    @Test(arguments: [
        ("busybox", "docker.io/library/busybox", "busybox"),
        ("busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"),
        ("user/app:v1", "docker.io/user/app:v1", "user/app:v1"),
        ("index.docker.io/library/alpine", "docker.io/library/alpine", "alpine"),
        ("localhost:5000/x/y:tag", "localhost:5000/x/y:tag", "localhost:5000/x/y:tag"),
        ("localhost/app", "localhost/app", "localhost/app"),
        ("quay.io/a/b-c__d.e", "quay.io/a/b-c__d.e", "quay.io/a/b-c__d.e"),
        ("[::1]:5000/img:1", "[::1]:5000/img:1", "[::1]:5000/img:1"),
        ("Foo/bar", "Foo/bar", "Foo/bar"),
        ("busybox@sha256:" + String(repeating: "ab", count: 32),
         "docker.io/library/busybox@sha256:" + String(repeating: "ab", count: 32),
         "busybox@sha256:" + String(repeating: "ab", count: 32)),
    ])
    func parsesLikeDocker(input: String, full: String, familiar: String) throws {
        let reference = try ImageReference.parse(input)
        #expect(reference.description == full)
        #expect(reference.familiarString == familiar)
    }

    @Test func defaultTagAndParts() throws {
        let reference = try ImageReference.parse("localhost:5000/x:1")
        #expect(reference.domain == "localhost:5000" && reference.path == "x" && reference.tag == "1")
        #expect(try ImageReference.parse("busybox").withDefaultTag.familiarString == "busybox:latest")
        #expect(try ImageReference.parse("localhost:5000").description == "docker.io/library/localhost:5000")
    }

    @Test(arguments: [
        ("Busybox", "invalid reference format: repository name must be lowercase"),
        ("docker.io/User/app", "invalid reference format: repository name must be lowercase"),
        ("", "invalid reference format"),
        ("busybox:", "invalid reference format"),
        ("bad//name", "invalid reference format"),
        ("-x", "invalid reference format"),
        ("a:b:c", "invalid reference format"),
        ("busybox:" + String(repeating: "t", count: 129), "invalid reference format"),
        ("name@sha256:abc", "invalid reference format"),
        (String(repeating: "a", count: 64),
         "invalid repository name (\(String(repeating: "a", count: 64))), cannot specify 64-byte hexadecimal strings"),
    ])
    func rejectsLikeDocker(input: String, message: String) {
        let error = #expect(throws: ShoalError.self) { try ImageReference.parse(input) }
        #expect(error?.message == message)
        #expect(error?.code == .invalidArgument)
    }

    @Test func rfc3339() throws {
        let date = try #require(RFC3339.parse("2024-02-29T23:59:58.123456789Z"))
        #expect(RFC3339.format(date).hasPrefix("2024-02-29T23:59:58.1234"))
        #expect(RFC3339.parse("2024-01-01T02:00:00+02:00") == RFC3339.parse("2024-01-01T00:00:00Z"))
        #expect(RFC3339.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.parse("not a date") == nil)
    }
}
