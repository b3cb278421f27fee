import KubeCore
import NIOHTTP1

/// Turns a store watch into a chunked HTTP body of newline-delimited JSON events.
enum WatchResponder {
    static func respond(core: ServerCore, _ r: ServedResource, namespace: String?, query: [String: String], table: Bool) throws
        -> HTTPResponse
    {
        let options = WatchOptions(
            resourceVersion: query["resourceVersion"], labelSelector: query["labelSelector"], fieldSelector: query["fieldSelector"],
            allowWatchBookmarks: query["allowWatchBookmarks"] == "true", timeoutSeconds: query["timeoutSeconds"].flatMap { Int($0) })
        let events = try core.store.watch(r, namespace: namespace, options: options)
        let includeObject = query["includeObject"]
        let (body, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .unbounded)
        let pump = Task {
            var first = true
            for await e in events {
                var object = e.object
                if table, e.type != .error, e.type != .bookmark {
                    object = TableConverter.table(r, [e.object], includeObject: includeObject, listRV: nil, columns: first)
                    first = false
                }
                let line: JSONValue = ["type": .string(e.type.rawValue), "object": object]
                continuation.yield(line.serializedBytes() + [UInt8(ascii: "\n")])
            }
            continuation.finish()
        }
        var timer: Task<Void, Never>?
        if let t = options.timeoutSeconds, t > 0 {
            timer = Task {
                try? await Task.sleep(for: .seconds(t))
                if !Task.isCancelled { pump.cancel() }
            }
        }
        continuation.onTermination = { [timer] _ in
            pump.cancel()
            timer?.cancel()
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Transfer-Encoding", value: "chunked")
        headers.add(name: "Cache-Control", value: "no-cache, private")
        return HTTPResponse(status: .ok, headers: headers, body: .stream(body))
    }
}
