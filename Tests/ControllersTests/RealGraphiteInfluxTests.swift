import Analysis
import Foundation
import KubeCore
import NIOCore
import NIOPosix
import SerinAPI
import Testing

/// Debian's Graphite (carbon-cache + graphite-web) and InfluxDB 1.x (`influxd`), started on
/// loopback by the test (hack/setup installs them): data written through carbon's plaintext
/// port and InfluxDB's write API, read back through the providers by AnalysisRuns and Canaries.
@Suite("Real Graphite and InfluxDB", .serialized, .timeLimit(.minutes(3)))
struct RealGraphiteInfluxTests {
    static let python = "/usr/bin/python3"
    static var graphiteInstalled: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/carbon-cache")
            && FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/graphite/settings.py")
    }
    static var influxInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/influxd") }

    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }

    static func curl(_ args: [String]) async throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-s", "--max-time", "5"] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: - Graphite

    /// carbon-cache (plaintext receiver, cache query port) and graphite-web's render API
    /// (Django's server) over one temporary whisper directory.
    final class Graphite: Sendable {
        let carbon: LocalPeerProcess
        let web: LocalPeerProcess
        let plaintextPort: Int
        let address: String

        init(carbon: LocalPeerProcess, web: LocalPeerProcess, plaintextPort: Int, address: String) {
            self.carbon = carbon
            self.web = web
            self.plaintextPort = plaintextPort
            self.address = address
        }

        static func start() async throws -> Graphite {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("serin-graphite-\(UUID().uuidString)")
            let storage = dir.appendingPathComponent("storage").path
            try FileManager.default.createDirectory(atPath: storage + "/whisper", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: storage + "/log", withIntermediateDirectories: true)
            let free = RealGraphiteInfluxTests.freePort
            let (line, pickle, cache, http) = (try await free(), try await free(), try await free(), try await free())
            try """
            [cache]
            STORAGE_DIR = \(storage)/
            LOCAL_DATA_DIR = \(storage)/whisper/
            WHITELISTS_DIR = \(storage)/lists/
            CONF_DIR = \(dir.path)/
            LOG_DIR = \(storage)/log/
            PID_DIR = \(storage)/
            ENABLE_LOGROTATION = False
            USER =
            MAX_CACHE_SIZE = inf
            MAX_UPDATES_PER_SECOND = 1000
            MAX_CREATES_PER_MINUTE = inf
            LINE_RECEIVER_INTERFACE = 127.0.0.1
            LINE_RECEIVER_PORT = \(line)
            ENABLE_UDP_LISTENER = False
            PICKLE_RECEIVER_INTERFACE = 127.0.0.1
            PICKLE_RECEIVER_PORT = \(pickle)
            CACHE_QUERY_INTERFACE = 127.0.0.1
            CACHE_QUERY_PORT = \(cache)
            """.write(toFile: dir.path + "/carbon.conf", atomically: true, encoding: .utf8)
            try "[default]\npattern = .*\nretentions = 10s:1d\n".write(toFile: dir.path + "/storage-schemas.conf", atomically: true, encoding: .utf8)
            try """
            from graphite.settings import *
            SECRET_KEY = 'serin-test'
            STORAGE_DIR = '\(storage)/'
            WHISPER_DIR = '\(storage)/whisper/'
            STANDARD_DIRS = [WHISPER_DIR]
            LOG_DIR = '\(storage)/log/'
            INDEX_FILE = '\(storage)/index'
            CARBONLINK_HOSTS = ['127.0.0.1:\(cache):a']
            DATABASES = {'default': {'NAME': '\(storage)/graphite.db', 'ENGINE': 'django.db.backends.sqlite3'}}
            TAGDB = ''
            """.write(toFile: dir.path + "/serin_graphite_settings.py", atomically: true, encoding: .utf8)
            let python = RealGraphiteInfluxTests.python
            let carbon = try LocalPeerProcess(python, ["/usr/bin/carbon-cache", "--config=\(dir.path)/carbon.conf", "--nodaemon", "start"],
                                              directory: dir)
            let web = try LocalPeerProcess("/usr/bin/env", [
                "PYTHONPATH=\(dir.path)", "DJANGO_SETTINGS_MODULE=serin_graphite_settings",
                python, "-m", "django", "runserver", "127.0.0.1:\(http)", "--noreload",
            ], directory: dir.appendingPathComponent("web"))
            let g = Graphite(carbon: carbon, web: web, plaintextPort: line, address: "http://127.0.0.1:\(http)")
            let up = await web.wait(timeout: .seconds(30)) {
                (try? await RealGraphiteInfluxTests.curl(["\(g.address)/render?target=none&format=json"]))?.hasPrefix("[") == true
            }
            guard up else {
                let logs = carbon.output + "\n" + web.output
                g.stop()
                throw MetricSpecError("graphite did not start: \(logs.suffix(1500))")
            }
            return g
        }

        /// `path value timestamp` lines through carbon's plaintext protocol.
        func write(_ lines: [(String, Double, Date)]) throws {
            let text = lines.map { "\($0.0) \($0.1) \(Int($0.2.timeIntervalSince1970))\n" }.joined()
            let p = Process()
            p.executableURL = URL(fileURLWithPath: RealGraphiteInfluxTests.python)
            p.arguments = ["-c", "import socket,sys; s=socket.create_connection(('127.0.0.1', int(sys.argv[1])), 5); s.sendall(sys.argv[2].encode()); s.close()",
                           "\(plaintextPort)", text]
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw MetricSpecError("writing to carbon's plaintext port failed") }
        }

        /// Waits until the render API shows `value` as the last point of `target`.
        func waitFor(_ target: String, _ value: Double) async -> Bool {
            await web.wait(timeout: .seconds(20)) {
                let text = (try? await RealGraphiteInfluxTests.curl(["\(self.address)/render?target=\(target)&format=json&from=-10min"])) ?? ""
                let points = (try? JSONValue(parsing: Array(text.utf8)))?.arrayValue?.first?["datapoints"].arrayValue ?? []
                return points.compactMap { $0.arrayValue?.first?.doubleValue }.last == value
            }
        }

        func stop() {
            web.stop()
            carbon.stop()
        }
    }

    @Test("graphite: Argo AnalysisRuns Successful on a good rate, Failed on a bad one; a Flagger MetricTemplate promotes, then rolls back",
          .enabled(if: graphiteInstalled))
    func graphite() async throws {
        let g = try await Graphite.start()
        defer { g.stop() }
        let now = Date()
        try g.write([("serin.good.rate", 99.5, now.addingTimeInterval(-20)), ("serin.good.rate", 98.25, now),
                           ("serin.bad.rate", 61, now), ("serin.web.errors", 0.5, now)])
        #expect(await g.waitFor("serin.good.rate", 98.25))
        #expect(await g.waitFor("serin.web.errors", 0.5))
        try await AnalysisRunEnvironment.with { env in
            await env.startOperator()
            func metric(_ target: String) throws -> AnalysisMetric {
                try AnalysisRunProviderTests.metric("rate", provider: "graphite: {address: '\(g.address)', query: 'target=serin.\(target).rate&from=-10min'}",
                                                    count: 1, success: "result[0] >= 90.000000")
            }
            try await env.createRun("graphite-good", AnalysisRunSpec(metrics: [try metric("good")]))
            try await env.createRun("graphite-bad", AnalysisRunSpec(metrics: [try metric("bad")]))
            try await env.createRun("graphite-none", AnalysisRunSpec(metrics: [try metric("missing")]))
            #expect(await env.waitPhase("graphite-good", "Successful"))
            let good = await env.run("graphite-good")["status"]["metricResults"][0]["measurements"][0]["value"].stringValue
            #expect(good == "[99.5,98.25]")
            #expect(await env.waitPhase("graphite-bad", "Failed"))
            #expect(await env.waitPhase("graphite-none", "Error"))
            let none = await env.run("graphite-none")["status"].serialized()
            #expect(none.contains("no values found"), "\(none)")
        }
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            _ = try await env.client.create(.metricTemplates, namespace: ns, [
                "apiVersion": "serin.dev/v1alpha1", "kind": "MetricTemplate",
                "metadata": ["name": "graphite-errors", "namespace": .string(ns)],
                "spec": ["provider": ["type": "graphite", "address": .string(g.address)],
                         "query": "target=serin.{{ target }}.errors\n&from=-{{ interval }}in"],
            ])
            try await env.createDeployment("web", image: "web:1")
            await env.startOperator(provider: "istio")
            try await env.createCanary("web", metrics: [["name": "errors", "interval": "5m", "templateRef": ["name": "graphite-errors"],
                                                          "thresholdRange": ["max": 1]]], maxWeight: 20)
            #expect(await env.waitPhase("web", "Initialized"))
            try await env.setImage("web", "web:2")
            #expect(await env.waitPhase("web", "Succeeded"))
            let result = try #require(await env.status("web")["metricResults"].arrayValue?.first)
            #expect(result["value"].doubleValue == 0.5)
            #expect(result["query"] == "target=serin.web.errors\n&from=-5min")
            try g.write([("serin.web.errors", 7.5, Date())])
            #expect(await g.waitFor("serin.web.errors", 7.5))
            try await env.setImage("web", "web:3")
            #expect(await env.waitPhase("web", "Failed"))
        }
    }

    // MARK: - InfluxDB

    /// `influxd` 1.x with its data in a temporary directory, HTTP on a free loopback port.
    static func startInflux() async throws -> (LocalPeerProcess, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("serin-influx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let (http, rpc) = (try await freePort(), try await freePort())
        try """
        reporting-disabled = true
        bind-address = "127.0.0.1:\(rpc)"
        [meta]
          dir = "\(dir.path)/meta"
        [data]
          dir = "\(dir.path)/data"
          wal-dir = "\(dir.path)/wal"
          query-log-enabled = false
        [http]
          bind-address = "127.0.0.1:\(http)"
          log-enabled = false
        [monitor]
          store-enabled = false
        """.write(to: dir.appendingPathComponent("influxdb.conf"), atomically: true, encoding: .utf8)
        let influx = try LocalPeerProcess("/usr/bin/influxd", ["-config", dir.path + "/influxdb.conf"], directory: dir)
        let address = "http://127.0.0.1:\(http)"
        let up = await influx.wait(timeout: .seconds(20)) {
            (try? await curl(["-o", "/dev/null", "-w", "%{http_code}", "\(address)/ping"])) == "204"
        }
        guard up else {
            let log = influx.output
            influx.stop()
            throw MetricSpecError("influxd did not start: \(log.suffix(1500))")
        }
        return (influx, address)
    }

    @Test("influxdb (InfluxQL): AnalysisRuns judge result[0]; a Flagger MetricTemplate promotes and rolls back; no rows is no data",
          .enabled(if: influxInstalled))
    func influxQL() async throws {
        let (influx, address) = try await Self.startInflux()
        defer { influx.stop() }
        _ = try await Self.curl(["-XPOST", "\(address)/query", "--data-urlencode", "q=CREATE DATABASE metrics"])
        let t = Int(Date().timeIntervalSince1970)
        let written = try await Self.curl(["-XPOST", "-o", "/dev/null", "-w", "%{http_code}", "\(address)/write?db=metrics&precision=s",
                                           "--data-binary", "requests,app=good errors=0.004 \(t)\nrequests,app=bad errors=0.2 \(t)\nrequests,app=web errors=0.25 \(t)"])
        #expect(written == "204")
        try await AnalysisRunEnvironment.with { env in
            _ = try await env.client.create(.secrets, namespace: env.namespace, [
                "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "my-influxdb-secret"],
                "stringData": ["address": .string(address), "database": "metrics", "org": "unused"],
            ])
            await env.startOperator()
            func metric(_ app: String) throws -> AnalysisMetric {
                try AnalysisRunProviderTests.metric("error-rate", provider: "influxdb: {profile: my-influxdb-secret, query: \"SELECT errors FROM requests WHERE app = '\(app)'\"}",
                                                    count: 1, success: "result[0] <= 0.01")
            }
            try await env.createRun("influx-good", AnalysisRunSpec(metrics: [try metric("good")]))
            try await env.createRun("influx-bad", AnalysisRunSpec(metrics: [try metric("bad")]))
            try await env.createRun("influx-none", AnalysisRunSpec(metrics: [try metric("missing")]))
            #expect(await env.waitPhase("influx-good", "Successful"))
            #expect(await env.waitPhase("influx-bad", "Failed"))
            #expect(await env.waitPhase("influx-none", "Error"))
            let none = await env.run("influx-none")["status"].serialized()
            #expect(none.contains("no results returned from InfluxQL query"), "\(none)")
        }
        try await CanaryEnvironment.with { env in
            let ns = env.namespace
            _ = try await env.client.create(.secrets, namespace: ns, [
                "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "influx"], "stringData": ["database": "metrics"],
            ])
            _ = try await env.client.create(.metricTemplates, namespace: ns, [
                "apiVersion": "serin.dev/v1alpha1", "kind": "MetricTemplate",
                "metadata": ["name": "influx-errors", "namespace": .string(ns)],
                "spec": ["provider": ["type": "influxdb", "address": .string(address), "secretRef": ["name": "influx"]],
                         "query": "SELECT last(errors) FROM requests WHERE app = '{{ target }}'"],
            ])
            try await env.createDeployment("web", image: "web:1")
            await env.startOperator(provider: "istio")
            try await env.createCanary("web", metrics: [["name": "errors", "interval": "1m", "templateRef": ["name": "influx-errors"],
                                                          "thresholdRange": ["max": 1]]], maxWeight: 20)
            #expect(await env.waitPhase("web", "Initialized"))
            try await env.setImage("web", "web:2")
            #expect(await env.waitPhase("web", "Succeeded"))
            let result = try #require(await env.status("web")["metricResults"].arrayValue?.first)
            #expect(result["value"].doubleValue == 0.25)
            let later = Int(Date().timeIntervalSince1970) + 1
            _ = try await Self.curl(["-XPOST", "\(address)/write?db=metrics&precision=s", "--data-binary", "requests,app=web errors=4 \(later)"])
            try await env.setImage("web", "web:3")
            #expect(await env.waitPhase("web", "Failed"))
        }
    }
}
