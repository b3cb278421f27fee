import AsyncHTTPClient
import KubeCore
import NIOCore

extension KubeClient {
    /// Opens the watch (retried like a GET, not rate-limited: a watch is one long request)
    /// and streams its events. Cancelling the consuming task, or dropping the stream,
    /// closes the connection; the stream finishes when the server ends the response.
    func openWatch(_ resource: ResourceType, namespace: String?, options: WatchOptions) async throws
        -> AsyncThrowingStream<WatchEvent, any Error>
    {
        var q = QueryItems()
        q.add("watch", "true")
        q.add("labelSelector", options.labelSelector)
        q.add("fieldSelector", options.fieldSelector)
        q.add("resourceVersion", options.resourceVersion)
        if options.allowWatchBookmarks { q.add("allowWatchBookmarks", "true") }
        q.add("timeoutSeconds", options.timeoutSeconds.map(String.init))
        let r = APIRequest(verb: "watch", method: .GET, path: resource.collectionPath(namespace: namespace), query: q, repeatable: true)

        let response: HTTPClientResponse = try await withRetries(r, rateLimited: false) { auth in
            await self.attemptWatchOpen(r, authorization: auth)
        }
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: WatchEvent.self)
        let reader = Task {
            var decoder = WatchEventDecoder()
            do {
                for try await chunk in response.body {
                    for event in try decoder.feed(chunk.readableBytesView) { continuation.yield(event) }
                }
                if let last = try decoder.finish() { continuation.yield(last) }
                continuation.finish()
            } catch {
                if Task.isCancelled {
                    continuation.finish()
                } else if let e = error as? KubeAPIError {
                    continuation.finish(throwing: e)
                } else {
                    continuation.finish(throwing: self.classify(error, r).error)
                }
            }
        }
        continuation.onTermination = { _ in reader.cancel() }
        return stream
    }

    func attemptWatchOpen(_ r: APIRequest, authorization: String?) async -> Result<HTTPClientResponse, RequestFailure> {
        let request = makeRequest(r, authorization: authorization)
        let started = ContinuousClock.now
        do {
            // No total deadline: the idle (read) timeout of `watchHTTP` bounds a dead connection.
            let response = try await watchHTTP.execute(request, deadline: .distantFuture, logger: nil)
            let code = Int(response.status.code)
            record(verb: r.verb, code: String(code), since: started)
            if (200..<300).contains(code) { return .success(response) }
            let body = (try? await response.body.collect(upTo: 1 << 20)).map { Array(buffer: $0) } ?? []
            return .failure(.api(Self.apiError(code: code, retryAfterHeader: response.headers.first(name: "Retry-After"), body: body)))
        } catch {
            record(verb: r.verb, code: "error", since: started)
            return .failure(classify(error, r))
        }
    }
}
