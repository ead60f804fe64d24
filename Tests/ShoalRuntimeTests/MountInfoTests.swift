@testable import ShoalOS
import Testing

@Suite struct MountInfoTests {
    static let mountInfo = """
    27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
    40 27 0:50 / /srv rw,relatime shared:7 - tmpfs tmpfs rw
    41 40 0:51 / /srv/data rw,relatime master:7 - tmpfs tmpfs rw
    42 27 0:52 / /srv2 rw - tmpfs tmpfs rw
    43 40 0:53 / /srv rw shared:9 - tmpfs tmpfs rw
    """

    @Test func sourceMountIsTheLongestLastMatchWithItsPropagation() {
        #expect(Mounts.sourceMount(of: "/home/x", mountInfo: Self.mountInfo)! == ("/", []))
        #expect(Mounts.sourceMount(of: "/srv/a", mountInfo: Self.mountInfo)! == ("/srv", ["shared:9"]))
        #expect(Mounts.sourceMount(of: "/srv/data", mountInfo: Self.mountInfo)! == ("/srv/data", ["master:7"]))
        #expect(Mounts.sourceMount(of: "/srv2x", mountInfo: Self.mountInfo)! == ("/", []))
    }
}
