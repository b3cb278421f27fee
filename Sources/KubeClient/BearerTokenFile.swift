import Foundation
import KubeCore
import Synchronization

/// A bearer token kept in a file that the kubelet rewrites as it rotates (projected
/// service-account tokens live about an hour). Re-read at most every `refreshInterval`,
/// and at once after the server answers 401 (`invalidate()`).
public final class BearerTokenFile: Sendable {
    public let path: String
    public let refreshInterval: Duration

    private struct State {
        var token: String?
        var readAt: ContinuousClock.Instant?
    }
    private let state = Mutex(State())

    public init(path: String, refreshInterval: Duration = .seconds(60)) {
        self.path = path
        self.refreshInterval = refreshInterval
    }

    /// The current token; reads the file when the cached one is older than `refreshInterval`.
    public func token() throws -> String {
        let now = ContinuousClock.now
        if let cached = state.withLock({ s -> String? in
            guard let t = s.token, let at = s.readAt, now - at < refreshInterval else { return nil }
            return t
        }) {
            return cached
        }
        let fresh = try readFile()
        state.withLock { s in
            s.token = fresh
            s.readAt = now
        }
        return fresh
    }

    /// Forget the cached token so the next `token()` reads the file (after a 401).
    public func invalidate() {
        state.withLock { $0.readAt = nil }
    }

    private func readFile() throws -> String {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw KubeAPIError.transport("cannot read token file \(path): \(shortIOError(error))")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if token.isEmpty { throw KubeAPIError.transport("token file \(path) is empty") }
        return token
    }
}
