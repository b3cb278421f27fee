/// A rule compiled against the schema node it sits on: checked AST and static cost.
struct CELProgram: Sendable {
    let source: String
    let checked: CELChecked
    /// cel.EstimateCost(...).Max, before multiplying by the node's cardinality.
    let maxCost: UInt64
    var isTransitionRule: Bool { checked.usesOldSelf }
}

enum CELCompiler {
    /// Compiles `source` with `self` and `oldSelf` declared as `decl`; the error text is
    /// cel-go's issues.String() (without Kubernetes' "compilation failed: " prefix).
    static func compile(_ source: String, decl: CELDeclType, expect: CELType = .bool, optionalOldSelf: Bool = false) -> Result<CELProgram, CELCompileError> {
        let ast: CELExpr
        do {
            ast = try CELParser.parse(source)
        } catch {
            return .failure(.issues(render([(error.offset, error.message)], source)))
        }
        let vars: [String: CELType] = ["self": decl.celType, "oldSelf": optionalOldSelf ? .optional(decl.celType) : decl.celType]
        switch CELChecker.check(ast, variables: vars) {
        case .failure(let errs):
            return .failure(.issues(render(errs.errors.map { ($0.offset, $0.message) }, source)))
        case .success(let checked):
            let rt = checked.resultType
            if !expect.isDyn, rt != expect, !rt.isDyn { return .failure(.wrongType) }
            let cost = CELCostEstimator.estimate(checked, root: decl)
            return .success(CELProgram(source: source, checked: checked, maxCost: cost.max))
        }
    }

    /// cel-go common.Errors.ToDisplayString: one "ERROR: <input>:L:C: msg" and snippet per error.
    static func render(_ errs: [(Int, String)], _ source: String) -> String {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let chars = Array(source)
        return errs.sorted { $0.0 < $1.0 }.map { off, msg in
            var line = 1, col = 0
            for c in chars.prefix(off) {
                if c == "\n" { line += 1; col = 0 } else { col += 1 }
            }
            var s = "ERROR: <input>:\(line):\(col + 1): \(msg)"
            if line - 1 < lines.count {
                let snippet = lines[line - 1].replacingOccurrences(of: "\t", with: " ")
                s += "\n | " + snippet + "\n | " + String(repeating: ".", count: col) + "^"
            }
            return s
        }.joined(separator: "\n")
    }
}

enum CELCompileError: Error, Equatable {
    case issues(String)
    case wrongType
}

extension String {
    fileprivate func replacingOccurrences(of a: Character, with b: Character) -> String {
        String(map { $0 == a ? b : $0 })
    }
}
