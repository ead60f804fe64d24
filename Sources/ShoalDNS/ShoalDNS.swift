/// ShoalDNS — the embedded DNS server every sandbox gets at 127.0.0.11.
///
/// Owns: the DNS message codec (pure value types, RFC 1035 / 3596 / 6891), the resolver chain (local records the
/// engine feeds, forwarding to upstream servers) and the UDP/TCP server on NIO.
/// Must never: read the host's /etc/resolv.conf itself (upstreams are given by the caller), enter namespaces (the
/// engine binds the sockets inside a netns and hands the descriptors over), or crash or hang on any input bytes.
enum ShoalDNSModule {}
