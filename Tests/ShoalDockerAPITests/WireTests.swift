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
        #expect(Wire.rfc3339NanoFixed(Date(timeIntervalSince1970: 1.5)) == "1970-01-01T00:00:01.500000000Z")
        #expect(Wire.rfc3339Nano(Date(timeIntervalSince1970: 951_825_600)) == "2000-02-29T12:00:00Z")
        #expect(Wire.rfc3339Nano(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        #expect(Wire.rfc3339Nano(Date(timeIntervalSince1970: 253_402_300_799)) == "9999-12-31T23:59:59Z")
        // Go's calendar is proleptic Gregorian (Foundation's switches to Julian before 1582): its zero time.
        #expect(Wire.rfc3339Nano(Date(timeIntervalSince1970: -62_135_596_800)) == Wire.zeroTime)
    }

    /// The hand-written formatter against Foundation's calendar (from 1900, where both are Gregorian), over leap
    /// days, century years, times before 1970 and fractions that round up to the next second.
    @Test func timesMatchTheCalendarsOwn() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        func reference(_ date: Date, fixed: Bool) -> String {
            let seconds = date.timeIntervalSince1970.rounded(.down)
            var nanos = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000_000).rounded())
            var whole = seconds
            if nanos >= 1_000_000_000 {
                whole += 1
                nanos -= 1_000_000_000
            }
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second],
                                                from: Date(timeIntervalSince1970: whole))
            var text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", parts.year!, parts.month!, parts.day!,
                              parts.hour!, parts.minute!, parts.second!)
            if nanos > 0 || fixed {
                var fraction = String(format: "%09d", nanos)
                while !fixed && fraction.hasSuffix("0") { fraction.removeLast() }
                text += "." + fraction
            }
            return text + "Z"
        }
        var generator = SystemRandomNumberGenerator()
        var instants: [Double] = [0, -0.5, 0.9999999999, 68_169_600, 4_107_542_400, 951_782_400, 951_868_799.75,
                                  -2_208_988_800]
        for _ in 0..<2000 {
            instants.append(Double.random(in: -2_000_000_000...4_000_000_000, using: &generator))
        }
        for instant in instants {
            let date = Date(timeIntervalSince1970: instant)
            #expect(Wire.rfc3339Nano(date) == reference(date, fixed: false), "\(instant)")
            #expect(Wire.rfc3339NanoFixed(date) == reference(date, fixed: true), "\(instant)")
        }
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
