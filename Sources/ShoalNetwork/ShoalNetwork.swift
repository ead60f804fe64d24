/// ShoalNetwork: the host side of container networking — Linux bridges, network namespaces and veth pairs
/// (through ShoalNetlink), the daemon's nftables table and each sandbox's service-VIP table (through ShoalNFTables;
/// `nft` runs in a sandbox's namespace by nsenter), host-port reservations, the per-sandbox DNS sockets at
/// 127.0.0.11 and the `/etc/hosts` and `/etc/resolv.conf` a container sees.
///
/// It owns mechanisms, not decisions: which address a container gets, which names resolve where and which
/// ports are published are decided by the engine's NetworkService, which calls in here and records what it
/// changed. It must never touch links, addresses or tables it did not create.
enum ShoalNetworkModule {}
