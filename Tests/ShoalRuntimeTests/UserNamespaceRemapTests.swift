import ShoalCore
@testable import ShoalRuntime
import Testing

/// `--userns-remap` read as dockerd reads it, the id arithmetic of a mapping, and the spec of a remapped
/// container. Pure: host files come in as text.
@Suite struct UserNamespaceRemapTests {
    let passwd = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\n"
    let group = "root:x:0:\nalice:x:1000:\nstaff:x:50:alice\n"

    @Test func namesAsDockerdResolvesThem() throws {
        #expect(try UserNamespaceRemap.names("alice", passwd: passwd, group: group)! == ("alice", "alice"))
        #expect(try UserNamespaceRemap.names("alice:staff", passwd: passwd, group: group)! == ("alice", "staff"))
        #expect(try UserNamespaceRemap.names("1000", passwd: passwd, group: group)! == ("alice", "alice"))
        #expect(try UserNamespaceRemap.names("1000:50", passwd: passwd, group: group)! == ("alice", "staff"))
        #expect(try UserNamespaceRemap.names("root", passwd: passwd, group: group)! == ("root", "root"))
        // `default` is dockremap; when it does not exist the caller creates it.
        #expect(try UserNamespaceRemap.names("default", passwd: passwd, group: group) == nil)
        let withDockremap = passwd + "dockremap:x:998:998::/home/dockremap:/bin/false\n"
        #expect(try UserNamespaceRemap.names("default", passwd: withDockremap, group: group + "dockremap:x:998:\n")!
            == ("dockremap", "dockremap"))

        func refusal(_ value: String) -> String? {
            do {
                _ = try UserNamespaceRemap.names(value, passwd: passwd, group: group)
                return nil
            } catch let error as ShoalError {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal("a:b:c") == "Invalid user/group specification in --userns-remap: \"a:b:c\"")
        #expect(refusal("carol") == "Error during uid lookup for \"carol\": getent unable to find entry \"carol\" in passwd database")
        #expect(refusal("bob") == "Error during gid lookup for \"bob\": getent unable to find entry \"bob\" in group database")
        #expect(refusal("alice:nogroup") == "Error during groupname lookup for \"nogroup\": getent unable to find entry \"nogroup\" in group database")
        #expect(refusal("4242") == "Uid 4242 has no entry in /etc/passwd")
    }

    @Test func rangesByUidThenName() throws {
        let subuid = "# ranges\nalice:100000:65536\n1000:300000:1000\nbob:200000:65536\nbob:400000:10\n"
        #expect(try UserNamespaceRemap.ranges(subuid, file: "/etc/subuid", user: "alice", uid: 1000, kind: "subuid")
            .map { [$0.start, $0.length] } == [[300000, 1000]])
        #expect(try UserNamespaceRemap.ranges(subuid, file: "/etc/subuid", user: "bob", uid: 1001, kind: "subuid")
            .map { [$0.start, $0.length] } == [[200000, 65536], [400000, 10]])
        #expect(throws: ShoalError.self) {
            try UserNamespaceRemap.ranges(subuid, file: "/etc/subuid", user: "carol", uid: 7, kind: "subuid")
        }
        #expect(throws: ShoalError.self) {
            try UserNamespaceRemap.ranges("bad line\n", file: "/etc/subuid", user: "bob", uid: 1001, kind: "subuid")
        }
        // dockremap's new range goes after every range that would overlap it.
        #expect(try UserNamespaceRemap.nextRangeStart("", file: "f") == 100000)
        #expect(try UserNamespaceRemap.nextRangeStart("a:100000:65536\nb:165536:65536\n", file: "f") == 231072)
        #expect(try UserNamespaceRemap.nextRangeStart("a:300000:65536\n", file: "f") == 100000)
        #expect(try UserNamespaceRemap.nextRangeStart("a:150000:10\n", file: "f") == 150010)
    }

    @Test func mappingArithmetic() throws {
        // Two subordinate ranges stack: container ids 0… then 65536….
        let mapping = IDMapping(subordinateUIDs: [(100000, 65536), (500000, 10)], subordinateGIDs: [(200000, 65536)])
        #expect(mapping.uids == [.init(containerID: 0, hostID: 100000, size: 65536),
                                 .init(containerID: 65536, hostID: 500000, size: 10)])
        #expect(mapping.rootUID == 100000 && mapping.rootGID == 200000)
        #expect(mapping.hostUID(65537) == 500001)
        #expect(mapping.hostUID(65546) == nil)
        #expect(mapping.containerUID(100999) == 999)
        #expect(mapping.containerGID(100000) == nil)
        #expect(try mapping.hostOwner(uid: 0, gid: 5) == (100000, 200005))
        #expect(try mapping.containerOwner(uid: 500009, gid: 265535) == (65545, 65535))
        #expect(throws: ShoalError.self) { try mapping.hostOwner(uid: 70000, gid: 0) }
        #expect(throws: ShoalError.self) { try mapping.containerOwner(uid: 0, gid: 0) }
        #expect(RemappedRoot(user: "u", group: "g", mapping: mapping).directoryName == "100000.200000")
    }

    @Test func remappedSpec() throws {
        let root = ExecUser(uid: 0, gid: 0, additionalGids: [], home: "/root")
        let mapping = IDMapping(subordinateUIDs: [(100000, 65536)], subordinateGIDs: [(100000, 65536)])
        var options = ContainerSpecOptions(id: "a", rootfs: "/r", args: ["sh"])
        options.network = .path("/run/netns/x")
        let plain = try SpecBuilder.build(options, user: root)
        #expect(!plain.linux.namespaces.contains { $0.type == "user" } && plain.linux.uidMappings == nil)

        options.userNamespace = mapping
        let spec = try SpecBuilder.build(options, user: root)
        #expect(spec.linux.namespaces.first == .init(type: "user"))
        #expect(spec.linux.uidMappings == [.init(containerID: 0, hostID: 100000, size: 65536)])
        #expect(spec.linux.gidMappings == spec.linux.uidMappings)
        // A network namespace made outside the user namespace: the host's /sys, read-only, instead of a sysfs.
        #expect(spec.mounts.first { $0.destination == "/sys" }
            == .init(destination: "/sys", type: "bind", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"]))
        #expect(spec.mounts.first { $0.destination == "/sys/fs/cgroup" }?.options?.contains("ro") == false)
        // Its own new network namespace belongs to the user namespace: a sysfs of its own. So does a sandbox
        // made in the user namespace the container joins.
        options.network = .none
        #expect(try SpecBuilder.build(options, user: root).mounts.first { $0.destination == "/sys" }?.type == "sysfs")
        options.network = .path("/run/netns/x")
        options.userNamespacePath = "/run/netns/x.user"
        let joined = try SpecBuilder.build(options, user: root)
        #expect(joined.linux.namespaces.first == .init(type: "user", path: "/run/netns/x.user"))
        #expect(joined.linux.uidMappings == [.init(containerID: 0, hostID: 100000, size: 65536)])
        #expect(joined.mounts.first { $0.destination == "/sys" }?.type == "sysfs")
    }
}
