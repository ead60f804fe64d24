import Foundation

/// Test images are built from Debian's busybox-static (installed by scripts/install-deps): nothing is downloaded.
public enum BusyboxRootfs {
    public static let busybox = "/bin/busybox"

    /// Applets linked into the test rootfs. `true` and `false` are linked on purpose (busybox does not by default).
    public static let applets = [
        "sh", "true", "false", "echo", "cat", "ls", "sleep", "env", "id", "pwd", "hostname", "mkdir", "rm", "touch",
        "wc", "head", "tail", "grep", "sed", "ps", "kill", "top", "date", "seq", "yes", "printf", "test", "[",
        "whoami", "stat", "nslookup", "wget", "timeout", "mount", "df", "tee", "chmod", "chown", "ln", "cp", "mv",
        "find", "xargs", "nc", "ip", "ifconfig", "uname", "dd", "readlink", "basename", "dirname", "awk", "httpd", "ping",
        "route", "cut", "sort",
    ]

    /// Writes a minimal root filesystem: /bin/busybox with applet links, /etc/passwd and /etc/group with root,
    /// nobody and a user `app` (uid 1000), and the empty directories a container expects.
    public static func make(at root: String) throws {
        let fm = FileManager.default
        for dir in ["bin", "etc", "tmp", "root", "home/app", "proc", "sys", "dev", "var/tmp"] {
            try fm.createDirectory(atPath: "\(root)/\(dir)", withIntermediateDirectories: true)
        }
        try fm.copyItem(atPath: busybox, toPath: "\(root)/bin/busybox")
        for applet in applets {
            try fm.createSymbolicLink(atPath: "\(root)/bin/\(applet)", withDestinationPath: "busybox")
        }
        try """
        root:x:0:0:root:/root:/bin/sh
        app:x:1000:1000:app:/home/app:/bin/sh
        nobody:x:65534:65534:nobody:/nonexistent:/bin/false

        """.write(toFile: "\(root)/etc/passwd", atomically: true, encoding: .utf8)
        try """
        root:x:0:
        app:x:1000:
        nogroup:x:65534:

        """.write(toFile: "\(root)/etc/group", atomically: true, encoding: .utf8)
        try fm.setAttributes([.posixPermissions: 0o1777], ofItemAtPath: "\(root)/tmp")
    }
}
