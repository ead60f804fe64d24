/// A node's ingress sandbox (Docker's `ingress-sbox`), as the leader's allocator and each node's engine both
/// name it: the container ID its endpoint on the ingress network is attached with, and the endpoint's name that
/// `docker network inspect ingress` shows.
public enum IngressSandbox {
    public static let containerID = "ingress-sbox"
    public static let endpointName = "ingress-endpoint"
}
