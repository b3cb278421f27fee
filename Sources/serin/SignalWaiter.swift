import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Suspends until SIGINT or SIGTERM arrives.
enum SignalWaiter {
    static func waitForTermination() async {
        let stream = AsyncStream<Int32> { cont in
            let queue = DispatchQueue(label: "serin.signals")
            var sources: [DispatchSourceSignal] = []
            for sig in [SIGINT, SIGTERM] {
                signal(sig, SIG_IGN)
                let src = DispatchSource.makeSignalSource(signal: sig, queue: queue)
                src.setEventHandler { cont.yield(sig) }
                src.resume()
                sources.append(src)
            }
            let keep = sources
            cont.onTermination = { _ in for s in keep { s.cancel() } }
        }
        for await _ in stream { return }
    }
}
