import Foundation
@testable import ShoalDockerAPI
import Hummingbird
import ShoalModel
import Testing

@Suite struct WireTests {
    @Test func versionPrefixIsStrippedOnlyWhenItIsAVersion() {
        #expect(VersionPrefix.strip("/v1.41/containers/json") == "/containers/json")
        #expect(VersionPrefix.strip("/v1.24/_ping") == "/_ping")
        #expect(VersionPrefix.strip("/volumes/v1") == "/volumes/v1")
        #expect(VersionPrefix.strip("/vfoo/containers") == "/vfoo/containers")
    }

    @Test func timesAreGoRFC3339Nano() {
        #expect(Wire.rfc3339Nano(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(Wire.rfc3339Nano(Date(timeIntervalSince1970: 1.5)) == "1970-01-01T00:00:01.5Z")
    }

    @Test func humanDurationsAreWordedAsDockerWordsThem() {
        #expect(HumanDuration.describe(0.3) == "Less than a second")
        #expect(HumanDuration.describe(1) == "1 second")
        #expect(HumanDuration.describe(42) == "42 seconds")
        #expect(HumanDuration.describe(65) == "About a minute")
        #expect(HumanDuration.describe(600) == "10 minutes")
        #expect(HumanDuration.describe(3600) == "About an hour")
        #expect(HumanDuration.describe(5 * 3600) == "5 hours")
        #expect(HumanDuration.describe(3 * 86400) == "3 days")
    }

    @Test func referenceFiltersAreGlobsOnNameAndTag() {
        #expect(ReferencePattern.matches("busy*", "busybox:latest"))
        #expect(ReferencePattern.matches("busybox:lat*", "busybox:latest"))
        #expect(!ReferencePattern.matches("alp*", "busybox:latest"))
        #expect(!ReferencePattern.matches("*", "localhost:5000/a/b:1"))
    }

    @Test func streamFramesCarryDockersHeader() {
        let frame = StreamFraming.frame(.stderr, Array("hi".utf8))
        #expect(Array(frame.readableBytesView) == [2, 0, 0, 0, 0, 0, 0, 2, 104, 105])
    }

    @Test func createBodyValidatesRestartPolicyAndMounts() throws {
        let json = #"{"Image":"img","Cmd":"echo hi","HostConfig":{"RestartPolicy":{"Name":"always","MaximumRetryCount":3}}}"#
        let body = try JSONDecoder().decode(ContainerCreateBody.self, from: Data(json.utf8))
        #expect(body.config.Cmd?.values == ["echo hi"])
        #expect(throws: DockerAPIError.self) { try body.spec() }

        let conflicting = #"{"Image":"img","HostConfig":{"AutoRemove":true,"RestartPolicy":{"Name":"always"}}}"#
        #expect(throws: DockerAPIError.self) {
            try JSONDecoder().decode(ContainerCreateBody.self, from: Data(conflicting.utf8)).spec()
        }
        let mount = #"{"Image":"img","HostConfig":{"Mounts":[{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"SizeBytes":1024}}]}}"#
        let spec = try JSONDecoder().decode(ContainerCreateBody.self, from: Data(mount.utf8)).spec()
        #expect(spec.host.mounts == [MountSpec(kind: .tmpfs, source: "", target: "/t", tmpfsSize: 1024)])
    }

    /// The CLI sends `--security-opt` as given (a seccomp profile as its JSON) and turns
    /// `systempaths=unconfined` into empty MaskedPaths and ReadonlyPaths; absent lists stay absent (defaults).
    @Test func createBodyCarriesSecurityOptionsAndSystemPaths() throws {
        let json = #"{"Image":"img","HostConfig":{"SecurityOpt":["no-new-privileges","seccomp={\"defaultAction\":\"SCMP_ACT_LOG\"}"],"#
            + #""MaskedPaths":[],"ReadonlyPaths":[]}}"#
        let host = try JSONDecoder().decode(ContainerCreateBody.self, from: Data(json.utf8)).spec().host
        #expect(host.securityOpt == ["no-new-privileges", #"seccomp={"defaultAction":"SCMP_ACT_LOG"}"#])
        #expect(host.maskedPaths == [] && host.readonlyPaths == [])
        let plain = try JSONDecoder().decode(ContainerCreateBody.self, from: Data(#"{"Image":"img","HostConfig":{}}"#.utf8))
        #expect(try plain.spec().host.securityOpt == nil && plain.spec().host.maskedPaths == nil)
    }

    @Test func eventFiltersAndAcrossKeysOrWithinOne() {
        let event = EngineEvent(kind: .container, action: "start", actorID: "abc123",
                                attributes: ["name": "web", "image": "busybox", "tier": "front"])
        #expect(SystemRoutes<BasicRequestContext>.matches(event, Filters(["type": ["container"], "event": ["start", "die"]])))
        #expect(!SystemRoutes<BasicRequestContext>.matches(event, Filters(["type": ["image"]])))
        #expect(SystemRoutes<BasicRequestContext>.matches(event, Filters(["container": ["web"], "label": ["tier=front"]])))
        #expect(!SystemRoutes<BasicRequestContext>.matches(event, Filters(["label": ["tier=back"]])))
    }
}
