/// ShoalNetlink — a typed rtnetlink (NETLINK_ROUTE) client that replaces the `ip link/addr/route/neigh` and
/// `bridge fdb` commands Shoal would otherwise run.
///
/// It owns: encoding requests (`NetlinkMessage`, `NetlinkRequest`), decoding replies (`NetlinkReply`, `LinkInfo`,
/// `AddressInfo`, `RouteInfo`), and one synchronous socket per `NetlinkSession`, optionally opened inside another
/// network namespace from a short-lived dedicated thread.
///
/// It must never: shell out, call `setns` on a caller's thread, decide policy (names, addresses, MTUs and what to
/// undo belong to ShoalNetwork), retry a failed change, or touch links it was not asked about.
///
/// Layout: the wire layer (`NetlinkMessage`, `NetlinkAttribute`, `NetlinkReply`, `NetlinkRequest+*`) is pure and
/// tested against bytes captured from iproute2; `NetlinkSocket` is the only file that performs I/O.
