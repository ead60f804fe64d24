import Foundation

/// The `/etc/hosts` and `/etc/resolv.conf` a container sees, written as Docker writes them.
public enum SandboxFiles {
    /// Docker's fixed head of every container's hosts file.
    static let hostsHead = """
    127.0.0.1\tlocalhost
    ::1\tlocalhost ip6-localhost ip6-loopback
    fe00::0\tip6-localnet
    ff00::0\tip6-mcastprefix
    ff02::1\tip6-allnodes
    ff02::2\tip6-allrouters

    """

    /// The hosts file of a container in its own namespace: the fixed head, `--add-host` entries, then its own
    /// address with its host name (Docker's order).
    public static func hosts(extraHosts: [String], ownAddress: String?, hostname: String, domainname: String = "")
        -> String
    {
        var text = hostsHead
        for entry in extraHosts {
            let parts = entry.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { text += "\(parts[1])\t\(parts[0])\n" }
        }
        if let ownAddress, !ownAddress.isEmpty {
            let names = domainname.isEmpty ? hostname : "\(hostname).\(domainname) \(hostname)"
            text += "\(ownAddress)\t\(names)\n"
        }
        return text
    }

    /// resolv.conf for a container that uses the embedded DNS server: the host's `search` and `options` lines are
    /// kept, every nameserver becomes 127.0.0.11, and `ndots:0` is added (Docker's rewrite for user networks).
    /// `--dns-search` replaces the search line; `--dns-option` the options (with `ndots:0` unless it sets ndots).
    public static func embeddedResolvConf(hostResolvConf: String, searchDomains: [String] = [],
                                          dnsOptions: [String] = []) -> String {
        var lines: [String] = []
        var options: [String] = []
        let search = searchDomains.isEmpty ? nil : "search " + searchDomains.joined(separator: " ")
        for line in hostResolvConf.split(separator: "\n").map(String.init) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("search ") || trimmed.hasPrefix("domain ") {
                if search == nil { lines.append(trimmed) }
            } else if trimmed.hasPrefix("options ") {
                options += trimmed.dropFirst("options ".count).split(separator: " ").map(String.init)
                    .filter { !$0.hasPrefix("ndots:") }
            }
        }
        if let search { lines.append(search) }
        lines.append("nameserver 127.0.0.11")
        if !dnsOptions.isEmpty {
            options = dnsOptions.contains { $0.hasPrefix("ndots:") } ? dnsOptions : ["ndots:0"] + dnsOptions
            lines.append("options " + options.joined(separator: " "))
        } else {
            lines.append("options " + (["ndots:0"] + options).joined(separator: " "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// resolv.conf for a container without the embedded server (default bridge, host, none): its `--dns`, else
    /// the daemon's `--dns`, else the host's file with loopback nameservers dropped (they are unreachable from
    /// the container's namespace), as Docker does.
    /// `--dns-search` and `--dns-option` replace the search and options lines.
    public static func plainResolvConf(servers: [String], hostResolvConf: String, keepLoopback: Bool = false,
                                       searchDomains: [String] = [], dnsOptions: [String] = []) -> String
    {
        var lines: [String]
        if !servers.isEmpty {
            lines = servers.map { "nameserver \($0)" }
        } else if keepLoopback {
            lines = hostResolvConf.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        } else {
            lines = hostResolvConf.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { line in
                let words = line.split(separator: " ", omittingEmptySubsequences: true)
                guard words.count >= 2, words[0] == "nameserver" else { return true }
                return !(words[1].hasPrefix("127.") || words[1] == "::1")
            }
        }
        guard !searchDomains.isEmpty || !dnsOptions.isEmpty else {
            return servers.isEmpty ? lines.joined(separator: "\n") : lines.joined(separator: "\n") + "\n"
        }
        if !searchDomains.isEmpty {
            lines.removeAll { $0.hasPrefix("search ") || $0.hasPrefix("domain ") }
        }
        if !dnsOptions.isEmpty { lines.removeAll { $0.hasPrefix("options ") } }
        while lines.last?.isEmpty == true { lines.removeLast() }
        if !searchDomains.isEmpty { lines.append("search " + searchDomains.joined(separator: " ")) }
        if !dnsOptions.isEmpty { lines.append("options " + dnsOptions.joined(separator: " ")) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Nameserver addresses listed in a resolv.conf text.
    public static func nameservers(in resolvConf: String) -> [String] {
        resolvConf.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            return words.count >= 2 && words[0] == "nameserver" ? String(words[1]) : nil
        }
    }

    /// The host's resolv.conf (empty when unreadable).
    public static func hostResolvConf() -> String {
        (try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8)) ?? ""
    }
}
