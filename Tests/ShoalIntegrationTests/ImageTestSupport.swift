import Foundation
import ShoalCore
import ShoalTestSupport

/// Helpers shared by the image suites (ImageCLITests, RegistryCLITests, BadInputTests).
enum ImageFixtures {
    /// A busybox root filesystem directory inside the run.
    static func rootfs(_ run: TestRun) throws -> String {
        let path = run.path("rootfs-\(UUID().uuidString.prefix(8))")
        try BusyboxRootfs.make(at: path)
        return path
    }

    /// A directory holding one small file, for an extra layer.
    static func fileLayer(_ run: TestRun, file: String, content: String) throws -> String {
        let path = run.path("layer-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try content.write(toFile: path + "/" + file, atomically: true, encoding: .utf8)
        return path
    }

    /// A `docker save` tarball of `images`; returns its path and the image IDs.
    static func dockerSave(_ run: TestRun, _ images: [ImageTarballs.Image]) async throws -> (path: String, ids: [Digest]) {
        let path = run.path("save-\(UUID().uuidString.prefix(8)).tar")
        let ids = try await ImageTarballs.dockerSave(images, to: path, work: run.path("work-\(UUID().uuidString.prefix(8))"))
        return (path, ids)
    }

    /// An OCI image layout tarball of `images`; returns its path and the image IDs.
    static func ociLayout(_ run: TestRun, _ images: [ImageTarballs.Image]) async throws -> (path: String, ids: [Digest]) {
        let path = run.path("oci-\(UUID().uuidString.prefix(8)).tar")
        let ids = try await ImageTarballs.ociLayout(images, to: path, work: run.path("work-\(UUID().uuidString.prefix(8))"))
        return (path, ids)
    }

    /// Every path below the daemon's image store (directories end in `/`, files carry their size), sorted: two
    /// listings are equal when a failed operation left nothing behind.
    static func storeListing(_ daemon: DaemonFixture) async throws -> [String] {
        let out = try await Shell.sh("cd '\(daemon.dataRoot)/images' && find . -mindepth 1 \\( -type d -printf '%p/\\n' \\) -o -printf '%p %s\\n' | sort")
        return out.split(separator: "\n").map(String.init)
    }

    /// The unpacked layer directories of the store.
    static func layerCount(_ daemon: DaemonFixture) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: daemon.dataRoot + "/images/layers").count
    }

    /// The blobs of the store.
    static func blobCount(_ daemon: DaemonFixture) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: daemon.dataRoot + "/images/blobs/sha256").count
    }

    /// `docker images -q` as a sorted set of lines.
    static func imageIDs(_ daemon: DaemonFixture) async throws -> [String] {
        Array(Set(try await daemon.dockerOK(["images", "-q", "--no-trunc"]).split(separator: "\n").map(String.init))).sorted()
    }

    /// A loopback TCP port nothing listens on (bound and released by python).
    static func freePort() async throws -> Int {
        let out = try await Shell.sh("python3 -c \"import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])\"")
        guard let port = Int(out.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ShellError(command: "free port", status: -1, stderr: out)
        }
        return port
    }

    /// Writes a tar with python's tarfile from a small script body that adds members to `t` (a TarFile).
    static func pythonTar(_ path: String, _ body: String) async throws {
        let script = """
        import io, tarfile, sys
        def reg(name, data=b"x", mode=0o644):
            info = tarfile.TarInfo(name); info.size = len(data); info.mode = mode; return info, io.BytesIO(data)
        t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
        \(body)
        t.close()
        """
        let result = try await Shell.run("/usr/bin/env", ["python3", "-c", script, path])
        guard result.status == 0 else { throw ShellError(command: "python tar", status: result.status, stderr: result.stderr) }
    }
}
