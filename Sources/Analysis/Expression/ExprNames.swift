/// The names a condition uses, checked against the ones the evaluator binds: `result` and the
/// functions it implements. A misspelt name (`resutl[0] > 1`) parses, but every measurement
/// would fail with "unknown name", so validation reports it up front.
extension ConditionExpression {
    /// Variables bound when a condition is evaluated.
    public static let knownVariables: Set<String> = ["result"]
    /// Functions the evaluator implements (predicates take `{ … }` with `#` or `.field`).
    public static let knownFunctions: Set<String> = ExprParser.predicateFunctions.union([
        "len", "isNaN", "isInf", "default", "abs", "floor", "ceil", "round", "sqrt", "int", "asInt", "float", "asFloat",
        "sum", "mean", "avg", "min", "max", "median", "first", "last",
    ])

    /// A name the condition uses that the evaluator does not know, where, and the known name
    /// closest to it (nil when none is near).
    public struct UnknownName: Sendable, Hashable {
        public var name: String
        /// 1-based character column, as parse errors give it.
        public var position: Int
        public var isFunction: Bool
        public var suggestion: String?
    }

    /// Unknown variables and functions, in order of position.
    public var unknownNames: [UnknownName] {
        var out: [UnknownName] = []
        Self.collectNames(root, into: &out)
        return out.sorted { $0.position < $1.position }
    }

    static func collectNames(_ node: ExprNode, into out: inout [UnknownName]) {
        switch node {
        case .literal, .pointer: break
        case .variable(let name, let p):
            if !knownVariables.contains(name) {
                out.append(UnknownName(name: name, position: p, isFunction: false,
                                       suggestion: closest(name, in: knownVariables.union(knownFunctions))))
            }
        case .unary(_, let a, _): collectNames(a, into: &out)
        case .binary(_, let a, let b, _):
            collectNames(a, into: &out)
            collectNames(b, into: &out)
        case .index(let a, let b, _):
            collectNames(a, into: &out)
            collectNames(b, into: &out)
        case .member(let a, _, _): collectNames(a, into: &out)
        case .call(let name, let args, let p):
            if !knownFunctions.contains(name) {
                out.append(UnknownName(name: name, position: p, isFunction: true, suggestion: closest(name, in: knownFunctions)))
            }
            for a in args { collectNames(a, into: &out) }
        case .closure(let body): collectNames(body, into: &out)
        case .array(let items): for i in items { collectNames(i, into: &out) }
        case .conditional(let c, let a, let b):
            collectNames(c, into: &out)
            collectNames(a, into: &out)
            collectNames(b, into: &out)
        }
    }

    /// The candidate with the smallest edit distance, when it is at most a third of the name
    /// (at least 1, at most 3) away; ties go to the alphabetically first.
    public static func closest(_ name: String, in candidates: Set<String>) -> String? {
        let limit = min(3, max(1, name.count / 3))
        var best: (String, Int)?
        for c in candidates.sorted() {
            let d = editDistance(name.lowercased(), c.lowercased())
            if d <= limit, best.map({ d < $0.1 }) ?? true { best = (c, d) }
        }
        return best?.0
    }

    /// Levenshtein distance, with an adjacent swap counting as one edit.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[x.count][y.count]
    }
}
