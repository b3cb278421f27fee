import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// `/healthz`, `/readyz` and `/metrics` for the kubelet and Prometheus.
///
/// Kept on its own small NIO server so that a stuck reconcile can never stop the liveness
/// probe from answering.
public final class OpsServer: Sendable {
    public typealias Check = @Sendable () -> (ok: Bool, detail: String)

    let channel: any Channel
    public let port: Int

    public static func start(
        host: String, port: Int, registry: PrometheusCollectorRegistry,
        live: @escaping Check, ready: @escaping Check, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> OpsServer {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(OpsHandler(registry: registry, live: live, ready: ready))
                }
            }
        let ch = try await bootstrap.bind(host: host, port: port).get()
        return OpsServer(channel: ch, port: ch.localAddress?.port ?? port)
    }

    init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    public func stop() async {
        try? await channel.close()
    }
}

final class OpsHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let registry: PrometheusCollectorRegistry
    let live: OpsServer.Check
    let ready: OpsServer.Check
    var path = "/"
    var keepAlive = true

    init(registry: PrometheusCollectorRegistry, live: @escaping OpsServer.Check, ready: @escaping OpsServer.Check) {
        self.registry = registry
        self.live = live
        self.ready = ready
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "/")
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            let (status, type, body) = respond()
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: type)
            headers.add(name: "Content-Length", value: String(body.count))
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            let keep = keepAlive
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keep { channel.close(promise: nil) }
            }
        }
    }

    func respond() -> (HTTPResponseStatus, String, [UInt8]) {
        switch path {
        case "/healthz", "/livez":
            let (ok, detail) = live()
            return (ok ? .ok : .serviceUnavailable, "text/plain; charset=utf-8", Array((ok ? "ok\n" : "unhealthy: \(detail)\n").utf8))
        case "/readyz":
            let (ok, detail) = ready()
            return (ok ? .ok : .serviceUnavailable, "text/plain; charset=utf-8", Array((ok ? "ok\n" : "not ready: \(detail)\n").utf8))
        case "/metrics":
            return (.ok, "text/plain; version=0.0.4; charset=utf-8", registry.emitToBuffer())
        default:
            return (.notFound, "text/plain; charset=utf-8", Array("not found; try /healthz, /readyz or /metrics\n".utf8))
        }
    }
}
