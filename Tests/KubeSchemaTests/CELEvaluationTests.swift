import KubeCore
import Testing
@testable import KubeSchema

/// Parser, macros, functions and error semantics, on rules as the CRDs write them.
@Suite("CEL parsing and evaluation")
struct CELEvaluationTests {
    static let object: JSONValue = [
        "type": "object",
        "properties": [
            "name": ["type": "string"],
            "type": ["type": "string"],
            "value": ["type": "string"],
            "count": ["type": "integer"],
            "ratio": ["type": "number"],
            "interval": ["type": "string"],
            "items": ["type": "array", "items": ["type": "integer"]],
            "names": ["type": "array", "items": ["type": "string"]],
            "labels": ["type": "object", "additionalProperties": ["type": "string"]],
            "port": ["x-kubernetes-int-or-string": true],
            "namespace": ["type": "string"],
        ],
    ]

    /// Compiles against `schema` and evaluates with `self` = `value`.
    static func eval(_ rule: String, _ value: JSONValue = [:], schema: JSONValue = object, old: JSONValue? = nil) -> Result<CELValue, CELEvalError> {
        guard let decl = CELSchemaTypes.declType(schema, isResourceRoot: false) else { return .failure(CELEvalError("no decl")) }
        let program: CELProgram
        switch CELCompiler.compile(rule, decl: decl, expect: .dyn) {
        case .success(let p): program = p
        case .failure(let e): return .failure(CELEvalError("compile: \(e)"))
        }
        var vars: [String: CELValue] = ["self": CELValue.from(value, decl)]
        if let old { vars["oldSelf"] = CELValue.from(old, decl) }
        return CELInterpreter.evaluate(program, variables: vars)
    }

    static func isTrue(_ rule: String, _ value: JSONValue = [:], schema: JSONValue = object) -> Bool {
        if case .success(.bool(true)) = eval(rule, value, schema: schema) { return true }
        return false
    }

    static func error(_ rule: String, _ value: JSONValue = [:]) -> String? {
        if case .failure(let e) = eval(rule, value) { return e.message }
        return nil
    }

    @Test(arguments: [
        "r\"\"\"a\\b\"\"\" == 'a\\\\b'",
        "'''multi\nline''' == \"multi\\nline\"",
        "size(b\"abc\") == 3 && b'\\x00' != b''",
        "1u + 2u == 3u && 0x1F == 31 && -1 < 0",
        "1.5e2 == 150.0 && .5 == 0.5",
        "'\\u00e9' == 'é' && size('é') == 1",
        "[1, 2, 3].all(x, x > 0) && [1, 2, 3].exists(x, x == 2) && [1, 2, 3].exists_one(x, x > 2)",
        "![1, 2, 3].exists_one(x, x > 1)",
        "[1, 2, 3].map(x, x * 2) == [2, 4, 6] && [1, 2, 3].map(x, x > 1, x * 10) == [20, 30]",
        "[1, 2, 3, 4].filter(x, x % 2 == 0) == [2, 4] && {'a': 1, 'b': 2}.all(k, k in ['a', 'b'])",
        "!(false && 1 / 0 > 0)",
        "(1 / 0 > 0 || true) && (true || 1 / 0 > 0)",
        "[0, 1].exists(x, 1 / x == 1)",
        "'a,b,c'.split(',') == ['a', 'b', 'c'] && 'AbC'.lowerAscii() == 'abc' && 'abc'.upperAscii() == 'ABC'",
        "'a-b-c'.replace('-', '.') == 'a.b.c' && '  x '.trim() == 'x' && ['a', 'b'].join('/') == 'a/b'",
        "'hello'.indexOf('l') == 2 && 'hello'.lastIndexOf('l') == 3 && 'hello'.substring(1, 3) == 'el' && 'hello'.charAt(1) == 'e'",
        "[1, 2, 3].isSorted() && ![3, 1].isSorted() && [1, 2, 3].sum() == 6 && [4, 2, 9].min() == 2 && [4, 2, 9].max() == 9 && [4, 2].indexOf(2) == 1",
        "duration('1h') > duration('30m') && duration('1m30s') == duration('90s') && string(duration('1.5s')) == '1.5s'",
        "timestamp('2024-01-01T00:00:00Z') < timestamp('2024-06-01T12:00:00+02:00') && timestamp('2024-03-01T10:20:30Z').getHours() == 10",
        "isIP('10.0.0.1') && !isIP('10.0.0.01') && isIP('::1') && ip('10.0.0.1').family() == 4 && cidr('10.0.0.0/8').containsIP('10.1.2.3')",
        "ip.isCanonical('2001:db8::1') && !ip.isCanonical('2001:DB8::1') && cidr('10.0.0.0/8').ip() == ip('10.0.0.0')",
        "isCIDR('192.168.0.0/16') && !isCIDR('192.168.0.0/33') && isURL('https://example.com/x') && url('https://example.com:8443/x').getHost() == 'example.com:8443'",
        "int('42') == 42 && string(42) == '42' && double(1) == 1.0 && uint(3) == 3u && int(2.9) == 2",
        "type(1) == int && type('a') == string && type([1]) == list && type(1u) != int",
        "'abc'.matches('^[a-z]+$') && !'ABC'.matches('^[a-z]+$') && 'x.y'.matches(r'\\.')",
        "'/foo'.startsWith('/') && 'a/.'.endsWith('/.') && 'a%2Fb'.contains('%2F')",
        "[10, 20].all(i, v, v == (i + 1) * 10) && {'a': 1}.exists(k, v, k == 'a' && v == 1) && [1, 2, 3].transformList(i, v, v > 1, v * i) == [2, 6] && [5, 6].existsOne(i, v, i == 1)",
        "cel.bind(xs, [1, 2, 3], xs.size() == 3 && xs.all(x, x > 0))",
        "sets.contains([1, 2, 3], [2, 3]) && !sets.contains([1], [2]) && sets.equivalent([1, 2], [2, 1, 1]) && sets.intersects([1, 2], [2, 9])",
        "isQuantity('1.5Gi') && !isQuantity('1.5Gx') && quantity('500m').isLessThan(quantity('1')) && quantity('1Ki').asInteger() == 1024 && quantity('2').add(3).compareTo(quantity('5')) == 0",
        "dyn(1) == 1.0 && dyn(2u) == 2 && [1, 2] == [1, 2] && {'a': 1} == {'a': 1}",
    ])
    func trueExpressions(_ rule: String) {
        let result = Self.eval(rule)
        let ok: Bool
        if case .success(.bool(true)) = result { ok = true } else { ok = false }
        #expect(ok, "\(rule) gave \(result)")
    }

    @Test func errorsAsCEL() {
        #expect(Self.error("1 / 0 == 0") == "division by zero")
        #expect(Self.error("1 % 0 == 0") == "modulus by zero")
        #expect(Self.error("9223372036854775807 + 1 > 0") == "integer overflow")
        #expect(Self.error("{'a': 1}['b'] == 1") == "no such key: b")
        #expect(Self.error("[1][3] == 1") == "index out of bounds: 3")
        #expect(Self.error("[0, 1].all(x, 1 / x > 0)") == "division by zero")
        #expect(Self.error("self.name == 'x'") == "no such key: name")
        #expect(Self.error("[].min() == 1") == "min called on empty list")
    }

    @Test func rulesFromTheCRDs() {
        let pathRule = "(self.type in ['Exact','PathPrefix']) ? self.value.startsWith('/') : true"
        #expect(Self.isTrue(pathRule, ["type": "PathPrefix", "value": "/api"]))
        #expect(!Self.isTrue(pathRule, ["type": "PathPrefix", "value": "api"]))
        #expect(Self.isTrue(pathRule, ["type": "RegularExpression", "value": "api"]))
        let hosts = "self.all(h, h.contains('*') ? (h.startsWith('*.') && h.substring(2).matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$')) : true)"
        let list: JSONValue = ["type": "array", "items": ["type": "string"]]
        #expect(Self.isTrue(hosts, ["*.example.com", "plain"], schema: list))
        #expect(!Self.isTrue(hosts, ["a.*.com"], schema: list))
        let stepWeights = "!has(self.items) || (self.items.isSorted() && self.items.all(w, self.items.exists_one(x, x == w)))"
        #expect(Self.isTrue(stepWeights, ["items": [10, 20, 30]]))
        #expect(!Self.isTrue(stepWeights, ["items": [10, 20, 20]]))
        #expect(!Self.isTrue(stepWeights, ["items": [30, 20]]))
        #expect(Self.isTrue("!has(self.interval) || duration(self.interval) >= duration('10s')", ["interval": "1m"]))
        #expect(!Self.isTrue("!has(self.interval) || duration(self.interval) >= duration('10s')", ["interval": "5s"]))
        #expect(Self.isTrue("has(self.__namespace__) && self.__namespace__ == 'ns'", ["namespace": "ns"]))
        #expect(Self.isTrue("type(self.port) == int ? self.port > 0 : self.port.endsWith('%')", ["port": 8080]))
        #expect(Self.isTrue("type(self.port) == int ? self.port > 0 : self.port.endsWith('%')", ["port": "50%"]))
        #expect(Self.isTrue("self.labels.all(k, k.startsWith('app'))", ["labels": ["app": "x", "app.kubernetes.io/name": "y"]]))
        #expect(Self.isTrue("[has(self.name), has(self.value), has(self.type)].exists_one(x, x)", ["value": "v"]))
        #expect(!Self.isTrue("[has(self.name), has(self.value), has(self.type)].exists_one(x, x)", ["value": "v", "name": "n"]))
    }

    @Test func compileErrorsAsTheServerWords() {
        let decl = CELSchemaTypes.declType(Self.object, isResourceRoot: false)!
        let undeclared = CELCompiler.compile("x == 1", decl: decl)
        #expect(undeclared.failureText == "ERROR: <input>:1:1: undeclared reference to 'x' (in container '')\n | x == 1\n | ^")
        let field = CELCompiler.compile("self.nope == 1", decl: decl)
        #expect(field.failureText == "ERROR: <input>:1:5: undefined field 'nope'\n | self.nope == 1\n | ....^")
        let overload = CELCompiler.compile("self.count.startsWith('a')", decl: decl)
        #expect(overload.failureText == "ERROR: <input>:1:22: found no matching overload for 'startsWith' applied to 'int.(string)'\n | self.count.startsWith('a')\n | .....................^")
        let notBool = CELCompiler.compile("self.count + 1", decl: decl)
        #expect(notBool.failureText == "wrong type")
        let unclosed = CELCompiler.compile("size(self.name", decl: decl)
        #expect(unclosed.failureText == "ERROR: <input>:1:15: Syntax error: missing ')' at '<EOF>'\n | size(self.name\n | ..............^")
        let mixed = CELCompiler.compile("1 == 1.0", decl: decl)
        #expect(mixed.failureText == "ERROR: <input>:1:3: found no matching overload for '_==_' applied to '(int, double)'\n | 1 == 1.0\n | ..^")
    }

    @Test func runtimeCostLimitPerCall() {
        let list: JSONValue = ["type": "array", "items": ["type": "integer"]]
        let big = JSONValue.array((0..<2000).map { .int(Int64($0)) })
        let result = Self.eval("self.all(x, self.all(y, x + y >= 0))", big, schema: list)
        let message: String? = if case .failure(let e) = result { e.message } else { nil }
        #expect(message == "operation cancelled: actual cost limit exceeded")
    }
}

extension Result where Success == CELProgram, Failure == CELCompileError {
    var failureText: String? {
        switch self {
        case .success: return nil
        case .failure(.issues(let s)): return s
        case .failure(.wrongType): return "wrong type"
        }
    }
}
