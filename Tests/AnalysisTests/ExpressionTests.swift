import Testing
@testable import Analysis

@Suite struct ExpressionTests {
    static let vector: ExprValue = .array([.number(0.97), .number(0.5)])

    /// (expression, result bound to `result`, expected value)
    static let table: [(String, ExprValue, ExprValue)] = [
        ("result[0] >= 0.95", vector, .bool(true)),
        ("result[1] >= 0.95", vector, .bool(false)),
        ("result[-1] == 0.5", vector, .bool(true)),
        ("result >= 0.95", .number(0.99), .bool(true)),
        ("result[0] * 100 <= 300", .array([.number(2.5)]), .bool(true)),
        ("1 + 2 * 3", .null, .number(7)),
        ("(1 + 2) * 3", .null, .number(9)),
        ("2 ** 3 ** 2", .null, .number(512)),
        ("2 ^ 10", .null, .number(1024)),
        ("7 % 4", .null, .number(3)),
        ("-result[0] < 0", vector, .bool(true)),
        ("10 / 4", .null, .number(2.5)),
        ("1 / 0", .null, .number(.infinity)),
        ("true && !false", .null, .bool(true)),
        ("false || 1 > 2", .null, .bool(false)),
        ("not (1 == 1) or 2 != 3", .null, .bool(true)),
        ("1 < 2 and 2 < 3", .null, .bool(true)),
        ("len(result)", vector, .number(2)),
        ("len(result) == 0", .array([]), .bool(true)),
        ("isNaN(result[0])", .array([.number(.nan)]), .bool(true)),
        ("isNaN(result)", .number(1), .bool(false)),
        ("isInf(result[0])", .array([.number(-.infinity)]), .bool(true)),
        ("isInf(result[0], 1)", .array([.number(-.infinity)]), .bool(false)),
        ("all(result, {# > 0.4})", vector, .bool(true)),
        ("all(result, {# > 0.9})", vector, .bool(false)),
        ("all(result, # > 0.4)", vector, .bool(true)),
        ("any(result, {# > 0.9})", vector, .bool(true)),
        ("any(result, # > 1)", vector, .bool(false)),
        ("none(result, {# > 1})", vector, .bool(true)),
        ("one(result, {# > 0.9})", vector, .bool(true)),
        ("all([], {# > 1})", .null, .bool(true)),
        ("count(result, {# < 0.9})", vector, .number(1)),
        ("len(filter(result, {# < 0.9}))", vector, .number(1)),
        ("map(result, {# * 2})[1]", vector, .number(1)),
        ("default(result, 0)", .null, .number(0)),
        ("default(result[0], 0) >= 0", .array([]), .bool(true)),
        ("default(result[0], 0)", vector, .number(0.97)),
        ("sum(result)", vector, .number(1.47)),
        ("max(result) == 0.97 && min(result) == 0.5", vector, .bool(true)),
        ("avg([1, 2, 3])", .null, .number(2)),
        ("abs(-3) + floor(2.7) + ceil(0.2)", .null, .number(6)),
        ("0.5 in result", vector, .bool(true)),
        ("0.6 not in result", vector, .bool(true)),
        ("result[0] > 0.9 ? 1 : 2", vector, .number(1)),
        ("asInt('42') + asFloat('0.5')", .null, .number(42.5)),
        ("\"a\" + 'b' == \"ab\"", .null, .bool(true)),
        ("1e3 == 1000 && 1_000 == 1000 && .5 == 0.5", .null, .bool(true)),
        ("result == nil", .null, .bool(true)),
        ("first(result) == 0.97 && last(result) == 0.5", vector, .bool(true)),
    ]

    @Test func table() throws {
        for (source, result, expected) in Self.table {
            let e = try ConditionExpression(source)
            switch e.evaluate(result: result) {
            case .success(let v):
                if case .number(let a) = v, case .number(let b) = expected {
                    #expect(abs(a - b) < 1e-9 || a == b, "\(source) gave \(v), expected \(expected)")
                } else {
                    #expect(v == expected, "\(source) gave \(v), expected \(expected)")
                }
            case .failure(let err):
                Issue.record("\(source) failed: \(err)")
            }
        }
    }

    /// (expression, position of the parse error)
    static let parseErrors: [(String, Int)] = [
        ("result[0] >=", 13),
        ("result[0 >= 1", 14),
        ("(1 + 2", 7),
        ("1 + * 2", 5),
        ("result[0] @ 1", 11),
        ("'open", 1),
        ("all(result, {# > 1)", 19),
        ("1 2", 3),
        ("and 1", 1),
    ]

    @Test func predicatesTakeFieldsOfTheElement() throws {
        // expr-lang: inside `{ … }`, `.value` is `#.value`; both spellings parse.
        for source in ["all(result, {asFloat(.value) >= 9900})", "all(result, { #.value > 1 })", "any(result, { # > 1 })",
                       "filter(result, {.ok}) == []"] {
            let parsed = try ConditionExpression(source)
            #expect(parsed.unknownNames.isEmpty, "\(source)")
        }
        // Serin's values are numbers: a field of one is an evaluation error, not a crash.
        let e = try ConditionExpression("all(result, {.value > 1})")
        let outcome = e.evaluateCondition(result: Self.vector)
        let message: String? = if case .failure(let err) = outcome { err.message } else { nil }
        #expect(message == "number has no field \"value\"")
    }

    @Test func unknownNamesAreFoundWithTheClosestKnownOne() throws {
        let e = try ConditionExpression("resutl[0] > 1 && lenn(result) > 0 && zzz(result)")
        let names = e.unknownNames
        #expect(names.map(\.name) == ["resutl", "lenn", "zzz"])
        #expect(names.map(\.suggestion) == ["result", "len", nil])
        #expect(names.map(\.position) == [1, 18, 38])
        #expect(names.map(\.isFunction) == [false, true, true])
        #expect(try ConditionExpression("result[0] >= 0.95 && all(result, {# < 1})").unknownNames.isEmpty)
    }

    @Test func parseErrorsCarryThePosition() {
        for (source, position) in Self.parseErrors {
            do {
                _ = try ConditionExpression(source)
                Issue.record("\(source) parsed")
            } catch {
                #expect(error.position == position, "\(source): \(error)")
                #expect(error.description.contains("at position \(position)"))
            }
        }
    }

    /// Evaluation errors are values with a message a person can act on.
    static let evalErrors: [(String, ExprValue, String)] = [
        ("result[0] > 1", .array([]), "index 0 out of range (the result has 0 elements)"),
        ("result > 0.9", vector, "use result[0]"),
        ("unknown > 1", .null, "unknown name \"unknown\""),
        ("nope(1)", .null, "unknown function nope"),
        ("1 && true", .null, "left side of && is not a bool"),
        ("len(1)", .null, "len needs an array or string"),
        ("# > 1", .null, "outside a predicate"),
        ("result[0.5]", vector, "whole number"),
        ("result[1e300]", vector, "whole number"),
        ("len()", .null, "len takes 1 argument"),
    ]

    @Test func evaluationErrorsAreValues() throws {
        for (source, result, fragment) in Self.evalErrors {
            let e = try ConditionExpression(source)
            switch e.evaluate(result: result) {
            case .success(let v): Issue.record("\(source) gave \(v)")
            case .failure(let err): #expect(err.message.contains(fragment), "\(source): \(err.message)")
            }
        }
        let c = try ConditionExpression("result[0] + 1")
        guard case .failure(let err) = c.evaluateCondition(result: Self.vector) else { Issue.record("not a bool accepted"); return }
        #expect(err.message.contains("expected true or false"))
    }

    /// Random strings and token soups never crash the lexer, parser or evaluator.
    @Test func fuzzNeverCrashes() {
        var rng = SplitMix(seed: 0x5e21)
        let alphabet = Array("result[]0123456789.+-*/%^!&|=<>(){},#?:'\" \tabcdefxyzNaInf_e$@~\\")
        let tokens = ["result", "[", "]", "0", "1", "-1", "0.5", "1e309", "(", ")", "{", "}", "#", ",", "+", "-", "*",
                      "/", "%", "**", "^", "!", "&&", "||", "==", "!=", "<", "<=", ">", ">=", "?", ":", "len", "all",
                      "any", "none", "one", "filter", "map", "count", "default", "isNaN", "isInf", "sum", "min", "max",
                      "not", "and", "or", "in", "true", "false", "nil", "'s'", "NaN", "Inf", ".", "asInt", "first"]
        let values: [ExprValue] = [.null, .number(1), .number(.nan), .array([]), vectorValue, .array([.number(.infinity)])]
        var parsed = 0
        for i in 0..<6000 {
            var s = ""
            if i % 2 == 0 {
                for _ in 0..<rng.next(upTo: 40) { s.append(alphabet[rng.next(upTo: alphabet.count)]) }
            } else {
                for _ in 0..<rng.next(upTo: 25) { s += tokens[rng.next(upTo: tokens.count)] + (rng.next(upTo: 3) == 0 ? " " : "") }
            }
            if let e = try? ConditionExpression(s) {
                parsed += 1
                for v in values { _ = e.evaluate(result: v) }
            }
        }
        // Deep nesting is refused, not a stack overflow.
        let deep = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
        let operation1 = { try ConditionExpression(deep) }
        #expect(throws: ExprParseError.self, performing: operation1)
        let deepNot = String(repeating: "!", count: 5000) + "true"
        let operation2 = { try ConditionExpression(deepNot) }
        #expect(throws: ExprParseError.self, performing: operation2)
        #expect(parsed > 50, "the token soup should produce some valid expressions (\(parsed))")
    }

    var vectorValue: ExprValue { Self.vector }
}

/// Deterministic generator so a fuzz failure reproduces.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(upTo n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
}
