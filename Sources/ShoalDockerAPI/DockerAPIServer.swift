import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import ShoalCore
import ShoalModel

/// Builds the Docker API application: routes for every resource, Docker's error shape, the version prefix
/// stripped, and the hijacking HTTP channel.
public enum DockerAPIServer {
    /// `stopping` fires when the daemon starts to stop: requests that would wait on (`POST /containers/{id}/wait`)
    /// end then, instead of holding the stop.
    /// `local`: the listener is the unix socket, where Shoal's own calls (`/shoal/…`) are served too.
    public static func router(backends: DockerBackends, spoolDirectory: String, stopping: StopSignal = StopSignal(),
                              local: Bool = false) -> Router<BasicRequestContext>
    {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: DockerErrorMiddleware())
        SystemRoutes(backends: backends).add(to: router)
        ContainerRoutes(backends: backends, spoolDirectory: spoolDirectory, stopping: stopping).add(to: router)
        ExecRoutes(backends: backends).add(to: router)
        ImageRoutes(backends: backends, spoolDirectory: spoolDirectory).add(to: router)
        VolumeRoutes(backends: backends).add(to: router)
        NetworkRoutes(backends: backends).add(to: router)
        SwarmRoutes(backends: backends).add(to: router)
        NodeRoutes(backends: backends).add(to: router)
        ServiceRoutes(backends: backends).add(to: router)
        DataObjectRoutes(backends: backends, kind: .secret).add(to: router)
        DataObjectRoutes(backends: backends, kind: .config).add(to: router)
        PlacementRoutes(backends: backends).add(to: router)
        if local { CredentialsRoutes(backends: backends).add(to: router) }
        return router
    }

    /// The application serving `address` (a unix socket path or a TCP host/port).
    /// `tls`: the connection's TLS (a TCP host); nil for a unix socket. `local`: see `router`.
    /// `interceptor`: sees every request first (the cluster endpoint answers container calls from the nodes).
    public static func application(backends: DockerBackends, address: BindAddress, tls: APITLS? = nil,
                                   local: Bool = false, interceptor: (any DockerRequestInterceptor)? = nil,
                                   spoolDirectory: String, stopping: StopSignal = StopSignal(), logger: Logger,
                                   onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in })
        -> some ApplicationProtocol {
        let router = router(backends: backends, spoolDirectory: spoolDirectory, stopping: stopping, local: local)
        return Application(
            responder: VersionStrippingResponder(router.buildResponder(), interceptor: interceptor),
            server: .docker(hijackRouter: HijackRouter(backends: backends, interceptor: interceptor), tls: tls),
            configuration: .init(address: address, serverName: nil),
            onServerRunning: onServerRunning,
            logger: logger)
    }
}

/// Serves `/v1.41/containers/json` as `/containers/json`; unknown paths answer Docker's 404.
struct VersionStrippingResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context: RequestContext {
    typealias Context = Inner.Context
    let inner: Inner
    let interceptor: (any DockerRequestInterceptor)?

    init(_ inner: Inner, interceptor: (any DockerRequestInterceptor)? = nil) {
        self.inner = inner
        self.interceptor = interceptor
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        let path = request.head.path ?? "/"
        let stripped = VersionPrefix.strip(path)
        if let version = Self.requestedVersion(path), version.compare(APIVersion.current, options: .numeric) == .orderedDescending {
            return try DockerAPIError(.badRequest, "client version \(version) is too new. Maximum supported API version is \(APIVersion.current)")
                .response(from: request, context: context)
        }
        var head = request.head
        head.path = stripped
        let next: (Request) async throws -> Response = { request in
            do {
                return try await inner.respond(to: request, context: context)
            } catch let error as HTTPError where error.status == .notFound {
                throw DockerAPIError(.notFound, "page not found")
            }
        }
        guard let interceptor else { return try await next(Request(head: head, body: request.body)) }
        do {
            return try await interceptor.intercept(Request(head: head, body: request.body), next: next)
        } catch {
            // Outside the router: rendered here in Docker's shape (the router's middleware does it for routes).
            let rendered = DockerAPIError(error)
            if rendered.status.code >= 500, !(error is DockerAPIError) {
                context.logger.error("\(request.method) \(stripped): \(rendered.message)")
            }
            return try rendered.response(from: request, context: context)
        }
    }

    private static func requestedVersion(_ path: String) -> String? {
        guard path.hasPrefix("/v"), VersionPrefix.strip(path) != path else { return nil }
        return String(path.dropFirst(2).prefix { $0 != "/" })
    }
}

/// Sees each request before the node's own routes (its path already without the `/v1.41` prefix): answers it
/// itself, or passes it (rewritten or not) to `next`. Errors it throws are rendered in Docker's shape.
public protocol DockerRequestInterceptor: Sendable {
    func intercept(_ request: Request, next: (Request) async throws -> Response) async throws -> Response
    /// A request that hijacks its connection (attach, exec start; `path` without the version prefix, with its
    /// query): a stream of the interceptor's, or nil for the node's own.
    func hijack(method: String, path: String, body: ByteBuffer) async throws -> (any StreamSession)?
}

extension DockerRequestInterceptor {
    public func hijack(method: String, path: String, body: ByteBuffer) async throws -> (any StreamSession)? { nil }
}
