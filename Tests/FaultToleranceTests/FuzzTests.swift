import Analysis
import Foundation
import KubeCore
import KubeRuntime
import SerinAPI
import Testing

/// Bounded-time fuzzing of the decoders and parsers that read what users and peers send:
/// JSON, YAML, the Canary decoder and validation, Prometheus answers and condition
/// expressions. Each input must be accepted or rejected with an error, never crash. The
/// generator is seeded; the seed is printed (replay with SERIN_FAULT_SEED=N).
@Suite("Fault tolerance: fuzzing", .serialized)
struct FuzzTests {
    static let budget: Duration = .seconds(2)

    /// Runs `body` with fresh inputs until the budget is spent; returns the number of runs.
    static func fuzz(_ name: String, _ body: (inout SeededRandom) throws -> Void) rethrows -> Int {
        let seed = SeededRandom.seed()
        print("FuzzTests.\(name) seed \(seed) (replay with SERIN_FAULT_SEED=\(seed))")
        var rng = SeededRandom(seed: seed)
        let start = ContinuousClock.now
        var runs = 0
        while ContinuousClock.now - start < budget {
            try body(&rng)
            runs += 1
        }
        print("FuzzTests.\(name): \(runs) inputs")
        return runs
    }

    // MARK: - Inputs

    static let jsonSeeds: [String] = [
        #"{"a":1,"b":[true,false,null],"c":{"d":"e\u00e9\n","f":-1.5e-3}}"#,
        #"[1e400, -0, 123456789012345678901234567890, 9223372036854775807, -9223372036854775808, 0.1]"#,
        #""\ud800" "#, #"{"k":"\ud83d\ude00"}"#, "[]", "{}", "0", #""""#,
        FaultCluster.deployment("web", namespace: "apps", image: "web:1").serialized(),
        FaultCluster.canary("web", namespace: "apps").serialized(),
    ]

    static let fragments: [[UInt8]] = ["{", "}", "[", "]", "\"", "\\", "\\u", "\\ud800", ":", ",", "-", "1e999", "0x1F", "null",
                                       "true", "\u{0}", "\u{7f}", "é", "  ", "\n", "#", "&a ", "*a", "!!str ", "- ", "? ", "|", ">",
                                       "---", "...", "%YAML 1.2\n", "'", "\t"].map { Array($0.utf8) }

    /// One random edit of `bytes`: flip, insert, delete, duplicate, splice a fragment, truncate.
    static func mutate(_ bytes: [UInt8], _ rng: inout SeededRandom) -> [UInt8] {
        var b = bytes
        let edits = Int.random(in: 1...4, using: &rng)
        for _ in 0..<edits {
            let i = b.isEmpty ? 0 : Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0 where !b.isEmpty: b[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            case 1: b.insert(UInt8.random(in: 0...255, using: &rng), at: i)
            case 2 where !b.isEmpty: b.removeSubrange(i..<min(b.count, i + Int.random(in: 1...8, using: &rng)))
            case 3 where !b.isEmpty:
                let end = min(b.count, i + Int.random(in: 1...32, using: &rng))
                b.insert(contentsOf: b[i..<end], at: i)
            case 4, 5: b.insert(contentsOf: fragments.randomElement(using: &rng)!, at: i)
            default: b = Array(b.prefix(i))
            }
        }
        return b
    }

    /// Random nesting of arrays and objects, up to `depth` deep.
    static func nested(_ depth: Int, _ rng: inout SeededRandom) -> String {
        var open = "", close = ""
        for _ in 0..<depth {
            if Bool.random(using: &rng) { open += "["; close = "]" + close } else { open += "{\"k\":"; close = "}" + close }
        }
        return open + "1" + close
    }

    static var yamlSeeds: [String] {
        var out: [String] = []
        for dir in ["examples", "Tests/FaultToleranceTests/Corpus"] {
            let url = repoRoot.appendingPathComponent(dir)
            for f in (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] where f.hasSuffix(".yaml") {
                if let t = try? String(contentsOf: url.appendingPathComponent(f), encoding: .utf8) { out.append(t) }
            }
        }
        out += ["a: &x [1, 2]\nb: *x\n", "- !!binary aGVsbG8=\n- !!float .inf\n- 0o17\n- 1_000\n- 2001-12-14t21:59:43.10-05:00\n",
                "key: |\n  literal\n  text\nother: >-\n  folded\n", "? complex\n: value\n", "{a: b, c: [d, e]}\n"]
        return out
    }

    // MARK: - Tests

    @Test("JSONValue(parsing:) accepts or rejects any bytes, and re-parses what it serializes")
    func json() throws {
        let seeds = Self.jsonSeeds.map { Array($0.utf8) }
        var accepted = 0
        let runs = Self.fuzz("json") { rng in
            let input: [UInt8]
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: input = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 1: input = Array(Self.nested(Int.random(in: 1...700, using: &rng), &rng).utf8)
            default: input = Self.mutate(seeds.randomElement(using: &rng)!, &rng)
            }
            guard let v = try? JSONValue(parsing: input) else { return }
            accepted += 1
            // What Serin writes back must read back as the same value.
            let again = try? JSONValue(parsing: v.serializedBytes())
            #expect(again == v, "round trip changed \(String(decoding: input, as: UTF8.self).prefix(200))")
        }
        #expect(runs > 100)
        #expect(accepted > 0)
        // Far beyond the parser's depth limit: an error, not a stack overflow.
        let operation1 = { try JSONValue(parsing: String(repeating: "[", count: 200_000)) }
        #expect(throws: (any Error).self, performing: operation1)
    }

    @Test("JSONValue(yaml:) accepts or rejects mutated manifests")
    func yaml() throws {
        let seeds = Self.yamlSeeds.map { Array($0.utf8) }
        #expect(seeds.count > 5)
        var accepted = 0
        let runs = Self.fuzz("yaml") { rng in
            let input: String
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: input = Self.nested(Int.random(in: 1...300, using: &rng), &rng)
            default: input = String(decoding: Self.mutate(seeds.randomElement(using: &rng)!, &rng), as: UTF8.self)
            }
            guard let docs = try? JSONValue.documents(yaml: input) else { return }
            accepted += 1
            for d in docs { _ = d.serialized() }
        }
        #expect(runs > 20)
        #expect(accepted > 0)
    }

    /// "Billion laughs": each level repeats the previous one ten times through aliases.
    static func aliasBomb(levels: Int) -> String {
        var y = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...levels { y += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        return y
    }

    @Test("YAML aliases that expand a few hundred bytes into megabytes are refused, as the API server refuses them")
    func yamlAliasBomb() throws {
        // 275 bytes that expand to 10^5 scalars (469 KB of JSON); one level more is 4.7 MB and 20 s of CPU,
        // two more take minutes: a manifest must not be able to stall whatever reads it.
        let bomb = Self.aliasBomb(levels: 4)
        let start = ContinuousClock.now
        let parse = { _ = try JSONValue(yaml: bomb) }
        #expect(throws: (any Error).self, performing: parse)
        // Refused before expanding: milliseconds, where expanding one level more takes 20 s (the
        // bound leaves room for a loaded CI machine).
        #expect(ContinuousClock.now - start < .seconds(5))
        // Ordinary aliases (a shared block reused a few times) still work.
        let reuse = try JSONValue(yaml: "base: &b {cpu: 1}\na: *b\nb: *b\n")
        #expect(reuse["a"] == ["cpu": 1])
    }

    @Test("A fuzzed Canary decodes or names the field; validation of what decodes never crashes")
    func canaryDecoding() throws {
        let seeds = [FaultCluster.canary("web", namespace: "apps"),
                     FaultCluster.canary("web", namespace: "apps", provider: "gatewayapi:v1", stepWeight: 10, maxWeight: 90)]
        var decoded = 0, rejected = 0
        _ = Self.fuzz("canary") { rng in
            var c = seeds.randomElement(using: &rng)!
            // Structural edits: a random field gets a random value of another type.
            let paths: [[String]] = [["spec", "analysis", "stepWeight"], ["spec", "analysis", "maxWeight"], ["spec", "analysis", "interval"],
                                     ["spec", "analysis", "threshold"], ["spec", "analysis", "metrics"], ["spec", "service", "port"],
                                     ["spec", "targetRef"], ["spec", "provider"], ["spec", "analysis", "stepWeights"], ["spec"],
                                     ["spec", "analysis", "iterations"], ["spec", "analysis", "webhooks"], ["spec", "service", "match"]]
            let values: [JSONValue] = [.null, true, -1, 0, .int(Int64.max), .int(Int64.min), 1e308, -0.0, "", "x", "-5s", "1000000h",
                                       [], [:], [[:]], ["a": [1, [2, [3]]]], .string(String(repeating: "9", count: 400))]
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                c[path: paths.randomElement(using: &rng)!] = values.randomElement(using: &rng)!
            }
            if Bool.random(using: &rng), let bytes = try? JSONValue(parsing: Self.mutate(c.serializedBytes(), &rng)) { c = bytes }
            do {
                let canary = try Canary(json: c)
                _ = canary.spec.validate(defaultProvider: "istio")
                decoded += 1
            } catch let error as CanaryDecodeError {
                #expect(!error.message.isEmpty)
                rejected += 1
            } catch {
                Issue.record("Canary(json:) threw an untyped error: \(error)")
            }
        }
        #expect(decoded > 0)
        #expect(rejected > 0)
    }

    @Test("A fuzzed Rollout decodes or names the field; validation of what decodes never crashes")
    func rolloutDecoding() throws {
        let text = try String(contentsOf: repoRoot.appendingPathComponent("examples/seed-rollout-bluegreen.yaml"), encoding: .utf8)
        let seed = try JSONValue(yaml: text)
        var decoded = 0, rejected = 0
        _ = Self.fuzz("rollout") { rng in
            var r = seed
            let paths: [[String]] = [["spec", "replicas"], ["spec", "strategy"], ["spec", "strategy", "blueGreen", "activeService"],
                                     ["spec", "strategy", "canary"], ["spec", "strategy", "canary", "steps"], ["spec", "selector"],
                                     ["spec", "template"], ["spec", "template", "spec", "containers"], ["spec", "workloadRef"],
                                     ["spec", "strategy", "blueGreen", "prePromotionAnalysis"], ["spec", "progressDeadlineSeconds"]]
            let values: [JSONValue] = [.null, true, -1, .int(Int64.max), .int(Int64.min), 1e308, "", "99999999999999999h",
                                       [], [:], [[:]], [["setWeight": 150]], [["pause": ["duration": "-1s"]]], [["setWeight": "x"]],
                                       ["matchLabels": [:]], [["analysis": ["templates": []]]]]
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                r[path: paths.randomElement(using: &rng)!] = values.randomElement(using: &rng)!
            }
            if Bool.random(using: &rng), let mutated = try? JSONValue(parsing: Self.mutate(r.serializedBytes(), &rng)) { r = mutated }
            do {
                _ = try Rollout(json: r).validate()
                decoded += 1
            } catch {
                rejected += 1
            }
        }
        #expect(decoded > 0)
        #expect(rejected > 0)
    }

    @Test("Prometheus answers: garbage is an error value, never a crash")
    func prometheusAnswers() throws {
        let seeds: [[UInt8]] = [
            #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"b"},"value":[1.5,"99.9"]}]}}"#,
            #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],[2,"NaN"],[3,"+Inf"]]}]}}"#,
            #"{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}"#,
            #"{"status":"error","errorType":"bad_data","error":"parse error"}"#,
            "<html><body>502 Bad Gateway</body></html>",
        ].map { Array($0.utf8) }
        _ = Self.fuzz("prometheus") { rng in
            let body = Self.mutate(seeds.randomElement(using: &rng)!, &rng)
            let status = [200, 400, 422, 500, 502, 503].randomElement(using: &rng)!
            if let r = try? PrometheusResponseParser.parse(httpStatus: status, contentType: "application/json", body: body) {
                _ = try? SingleValue.from(r.result)
            }
        }
    }

    static let exprSeeds = [
        "result[0] >= 0.95", "all(result, {# < 500})", "len(result) > 0 && result[0] < 1", "result == nil ? false : result[0] > 1",
        "any(result, {# > 0.5}) or not (result[0] in [1, 2, 3])", "result[0] ** 2 % 3 / 0 - -1", "filter(result, {# > 1})[0] == 2",
        #"result.x.y == "s" + "t""#, "map(result, {# * 2})[-1]", "count(result, {# != #}) == 0",
    ]
    static let exprTokens = ["result", "result[0]", "#", "(", ")", "[", "]", "{", "}", ",", ".", "?", ":", "!", "not", "-", "+", "*",
                             "/", "%", "**", "^", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "and", "or", "in", "nil", "true",
                             "false", "0", "1", "-1", "1e308", "0.5", "\"s\"", "len", "all", "any", "none", "one", "filter", "map",
                             "count", "abs", "max", "min", "isNaN", "isInf", "1e-320", "9223372036854775807"]

    @Test("Condition expressions: parse or report a position; evaluation returns a value or an error")
    func expressions() throws {
        let results: [ExprValue] = [.null, .number(.nan), .number(.infinity), .number(0), .array([]), .array([.number(1), .number(2)]),
                                    .array([.array([.number(1)])]), .string("x"), .bool(true)]
        var parsed = 0
        _ = Self.fuzz("expressions") { rng in
            let text: String
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                text = (0..<Int.random(in: 1...24, using: &rng)).map { _ in Self.exprTokens.randomElement(using: &rng)! }
                    .joined(separator: " ")
            case 1: text = String(decoding: Self.mutate(Array(Self.exprSeeds.randomElement(using: &rng)!.utf8), &rng), as: UTF8.self)
            default:
                let d = Int.random(in: 1...400, using: &rng)
                text = String(repeating: ["(", "[", "!", "-", "{", "f("].randomElement(using: &rng)!, count: d) + "result"
            }
            do {
                let e = try ConditionExpression(text)
                parsed += 1
                for r in results { _ = e.evaluateCondition(result: r) }
            } catch let error as ExprParseError {
                #expect(error.position >= 0)
            } catch {
                Issue.record("ConditionExpression threw an untyped error: \(error)")
            }
        }
        #expect(parsed > 0)
    }
}

/// Timers read from a spec (an interval of 10^17 hours) must not trap on the way to a requeue.
@Suite("Fault tolerance: timer values")
struct TimerValueTests {
    @Test("clampedSeconds maps any Double into 0…a year")
    func clamped() {
        let year = Duration.longestTimer
        #expect(Duration.clampedSeconds(.nan) == .zero)
        #expect(Duration.clampedSeconds(-5) == .zero)
        #expect(Duration.clampedSeconds(.infinity) == year)
        #expect(Duration.clampedSeconds(3.6e20) == year)
        #expect(Duration.clampedSeconds(1e300) == year)
        #expect(Duration.clampedSeconds(10) == .seconds(10))
        #expect(Duration.clampedSeconds(0.0001) == .milliseconds(1))
        if case .requeue(let d) = ReconcileResult.requeue(afterSeconds: 1e17 * 3600) {
            #expect(d == year)
        } else {
            Issue.record("not a requeue")
        }
    }
}
