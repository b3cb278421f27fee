import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Suspends until SIGINT or SIGTERM arrives.
enum SignalWaiter {
    /// Dispatch sources are thread-safe but not marked Sendable; this box keeps them alive
    /// until the stream ends.
    final class Sources: @unchecked Sendable {
        let sources: [any DispatchSourceSignal]
        init(_ s: [any DispatchSourceSignal]) { sources = s }
        func cancel() { for s in sources { s.cancel() } }
    }

    static func waitForTermination() async {
        let stream = AsyncStream<Int32> { cont in
            let queue = DispatchQueue(label: "serin.signals")
            var made: [any DispatchSourceSignal] = []
            for sig in [SIGINT, SIGTERM] {
                signal(sig, SIG_IGN)
                let src = DispatchSource.makeSignalSource(signal: sig, queue: queue)
                src.setEventHandler { cont.yield(sig) }
                src.resume()
                made.append(src)
            }
            let box = Sources(made)
            cont.onTermination = { _ in box.cancel() }
        }
        for await _ in stream { return }
    }
}
