import Glibc

/// Resolves a path inside a container rootfs the way the container would see it: symlinks (absolute or
/// relative, `..` included) never leave the rootfs. Used to read /etc/passwd of an untrusted image safely.
public enum RootfsPath {
    public static func resolve(root: String, path: String) -> String {
        var resolved: [String] = []
        var pending = components(path)
        var hops = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            if part == "." { continue }
            if part == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            let candidate = root + "/" + (resolved + [part]).joined(separator: "/")
            var buffer = [CChar](repeating: 0, count: 4096)
            let count = readlink(candidate, &buffer, buffer.count - 1)
            if count > 0 && hops < 40 {
                hops += 1
                let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if target.hasPrefix("/") { resolved = [] }
                pending = components(target) + pending
                continue
            }
            resolved.append(part)
        }
        return root + "/" + resolved.joined(separator: "/")
    }

    private static func components(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init)
    }
}
