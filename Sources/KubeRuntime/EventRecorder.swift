import Foundation
import KubeCore
import Logging

public enum EventType: String, Sendable {
    case normal = "Normal"
    case warning = "Warning"
}

/// Writes core/v1 Events about objects. Identical events (same object, type, reason and
/// message) within `aggregationWindow` are folded into one Event whose `count` and
/// `lastTimestamp` are patched. Memory is bounded by `cacheSize`. Never throws: failures are logged.
/// Every write is fenced like the controllers' writes: a replica that lost the lease records nothing.
public actor EventRecorder {
    public nonisolated let component: String
    public nonisolated let reportingController: String
    public nonisolated let reportingInstance: String
    private let api: any KubeAPI
    private let clock: any RuntimeClock
    private let logger: Logger
    private let aggregationWindow: Duration
    private let cacheSize: Int
    private let fence: @Sendable () throws -> Void

    private struct Seen {
        var eventName: String
        var namespace: String
        var count: Int
        var firstTimestamp: String
        var last: Date
    }
    private struct Identity: Hashable {
        var object: String
        var type: String
        var reason: String
        var message: String
    }
    private var cache: [Identity: Seen] = [:]

    public init(
        api: any KubeAPI, component: String = "serin", reportingController: String = "serin.dev/operator",
        reportingInstance: String = ProcessInfo.processInfo.hostName, aggregationWindow: Duration = .seconds(600),
        cacheSize: Int = 4096, clock: any RuntimeClock = SystemClock(), logger: Logger = Logger(label: "serin.events"),
        fence: @escaping @Sendable () throws -> Void = {}
    ) {
        self.fence = fence
        self.api = api
        self.component = component
        self.reportingController = reportingController
        self.reportingInstance = reportingInstance
        self.aggregationWindow = aggregationWindow
        self.cacheSize = max(1, cacheSize)
        self.clock = clock
        self.logger = logger
    }

    /// Records an event about `object` (any object with apiVersion, kind and metadata).
    /// `reason` is CamelCase (`Progressing`, `Synced`); `message` one sentence.
    public func record(_ object: JSONValue, type: EventType = .normal, reason: String, message: String) async {
        let involved = Self.involvedObject(object)
        let namespace = object.namespace ?? "default"
        let identity = Identity(
            object: "\(involved["kind"].stringValue ?? "")/\(namespace)/\(object.name ?? "")/\(object.uid ?? "")",
            type: type.rawValue, reason: reason, message: message)
        let now = clock.now()
        let stamp = KubeTime.format(now)
        do { try fence() } catch {
            logger.debug("event not recorded: not leading", metadata: ["reason": "\(reason)", "error": "\(error)"])
            return
        }

        if var seen = cache[identity], now.timeIntervalSince(seen.last) <= aggregationWindow.seconds {
            seen.count += 1
            seen.last = now
            do {
                _ = try await api.patch(
                    .events, namespace: seen.namespace, name: seen.eventName, type: .merge,
                    ["count": .int(Int64(seen.count)), "lastTimestamp": .string(stamp)])
                cache[identity] = seen
                return
            } catch let error as KubeAPIError where error.isNotFound {
                // Garbage-collected meanwhile (Events have a TTL): create a fresh one below.
                cache.removeValue(forKey: identity)
            } catch {
                logger.warning("could not update event", metadata: ["reason": "\(reason)", "error": "\(error)"])
                return
            }
        }

        let name = "\(object.name ?? "object").\(Self.uniqueSuffix(now))"
        let event: JSONValue = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "involvedObject": involved,
            "reason": .string(reason), "message": .string(message), "type": .string(type.rawValue),
            "source": ["component": .string(component)],
            "firstTimestamp": .string(stamp), "lastTimestamp": .string(stamp), "count": 1,
            "reportingComponent": .string(reportingController), "reportingInstance": .string(reportingInstance),
        ]
        do {
            _ = try await api.create(.events, namespace: namespace, event)
            remember(identity, Seen(eventName: name, namespace: namespace, count: 1, firstTimestamp: stamp, last: now))
        } catch {
            logger.warning("could not record event", metadata: ["reason": "\(reason)", "error": "\(error)"])
        }
    }

    /// Events currently remembered for aggregation (bounded by `cacheSize`).
    public var cachedCount: Int { cache.count }

    private func remember(_ identity: Identity, _ seen: Seen) {
        if cache.count >= cacheSize {
            // Drop the oldest eighth at once so eviction stays cheap on average.
            let drop = max(1, cacheSize / 8)
            for (key, _) in cache.sorted(by: { $0.value.last < $1.value.last }).prefix(drop) {
                cache.removeValue(forKey: key)
            }
        }
        cache[identity] = seen
    }

    static func involvedObject(_ object: JSONValue) -> JSONValue {
        var ref: JSONValue = [
            "apiVersion": object["apiVersion"], "kind": object["kind"], "name": .string(object.name ?? ""),
        ]
        if let ns = object.namespace { ref["namespace"] = .string(ns) }
        if let uid = object.uid { ref["uid"] = .string(uid) }
        if let rv = object.resourceVersion { ref["resourceVersion"] = .string(rv) }
        return ref
    }

    /// Like client-go: the time in nanoseconds, hex, plus randomness so two processes never collide.
    private static func uniqueSuffix(_ now: Date) -> String {
        let nanos = UInt64(max(0, now.timeIntervalSince1970 * 1e9))
        return String(nanos, radix: 16) + String(UInt16.random(in: 0...UInt16.max), radix: 16)
    }
}
