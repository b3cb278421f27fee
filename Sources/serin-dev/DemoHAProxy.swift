import Foundation
import SerinBench
import NIOCore
import NIOPosix

/// The real HAProxy (Debian's package) in front of the two app instances: one frontend, one
/// backend with servers `primary` and `canary`, and the runtime API on a unix socket with
/// `level admin` so that the route adapter can change weights while it runs.
enum DemoHAProxy {
    static let backend = "podinfo"

    static func config(port: Int, socket: String, primary: String, canary: String) -> String {
        """
        # Written by `serin-dev demo`.
        global
            stats socket \(socket) mode 600 level admin
            stats timeout 10s

        defaults
            mode http
            timeout connect 2s
            timeout client 15s
            timeout server 15s

        frontend podinfo
            bind 127.0.0.1:\(port)
            default_backend \(backend)

        # Weights start as Serin's initial route: everything on the primary.
        backend \(backend)
            balance roundrobin
            server primary \(primary) weight 100
            server canary \(canary) weight 0

        """
    }

    static func start(binary: String, workspace: DemoWorkspace, port: Int, primary: String,
                      canary: String) throws -> ChildProcess {
        try workspace.write("haproxy.cfg", config(port: port, socket: workspace.haproxySocket, primary: primary, canary: canary))
        // -db: stay in the foreground, so the demo owns the process and its output.
        return try ChildProcess(
            name: "haproxy", executable: binary, arguments: ["-db", "-f", workspace.path("haproxy.cfg")],
            logPath: workspace.haproxyLog)
    }

    /// Waits until the runtime API answers (HAProxy has parsed its config and bound).
    static func waitUntilReady(_ runtime: HAProxyRuntime, process: ChildProcess, deadline: Duration) async throws {
        let end = ContinuousClock.now + deadline
        var last = "no answer yet"
        while ContinuousClock.now < end {
            guard process.isRunning else { throw DemoFailure("haproxy \(process.exitDescription)") }
            do {
                _ = try await runtime.weights()
                return
            } catch {
                last = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw DemoFailure("haproxy's runtime API did not answer within \(deadline): \(last)")
    }
}

/// A client of HAProxy's runtime API over its unix socket: one command line per connection
/// (non-interactive mode: HAProxy answers and closes).
struct HAProxyRuntime: Sendable {
    let socketPath: String

    /// Sends `command` and returns HAProxy's answer.
    func send(_ command: String, timeout: Duration = .seconds(3)) async throws -> String {
        let path = socketPath
        return try await withThrowingTaskGroup(of: String.self) { group in
            group.addTask {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(unixDomainSocketPath: path) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                        }
                    }
                return try await channel.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: command + "\n"))
                    var answer = ""
                    for try await chunk in inbound {
                        answer += String(buffer: chunk)
                        if answer.utf8.count > 1 << 16 { break }
                    }
                    return answer
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw DemoFailure("haproxy runtime API: no answer to \"\(command)\" within \(timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// Sets both servers' weights in one command line; HAProxy's weights are 0...256.
    func setWeights(primary: Int, canary: Int) async throws {
        let p = min(max(primary, 0), 256), c = min(max(canary, 0), 256)
        let b = DemoHAProxy.backend
        let answer = try await send("set weight \(b)/primary \(p);set weight \(b)/canary \(c)")
        let text = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        if !text.isEmpty { throw DemoFailure("haproxy refused the weights: \(text)") }
    }

    /// The current weights of the two servers, read back from HAProxy.
    func weights() async throws -> (primary: Int, canary: Int) {
        let b = DemoHAProxy.backend
        let answer = try await send("get weight \(b)/primary;get weight \(b)/canary")
        // Each answer is "<current> (initial <n>)".
        let numbers = answer.split(separator: "\n").compactMap { line in
            line.split(separator: " ").first.flatMap { Int($0) }
        }
        guard numbers.count == 2 else { throw DemoFailure("unexpected haproxy answer: \(answer)") }
        return (numbers[0], numbers[1])
    }
}
