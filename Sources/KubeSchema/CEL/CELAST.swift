/// The parsed, macro-expanded form of a CEL expression, shaped as cel-go's parser builds it:
/// the cost estimate walks this tree, so macros must expand to the same comprehensions.
final class CELExpr: Sendable {
    let id: Int
    /// Offset (in Unicode scalars) of the token that produced the node, for error locations.
    let offset: Int
    let kind: Kind

    init(id: Int, offset: Int, kind: Kind) {
        self.id = id
        self.offset = offset
        self.kind = kind
    }

    enum Kind: Sendable {
        case literal(CELLiteral)
        case ident(String)
        case select(operand: CELExpr, field: String, testOnly: Bool)
        case call(function: String, target: CELExpr?, args: [CELExpr])
        case list([CELExpr])
        case map([CELMapEntry])
        case comprehension(CELComprehension)
    }
}

struct CELMapEntry: Sendable {
    let key: CELExpr
    let value: CELExpr
}

struct CELComprehension: Sendable {
    let iterRange: CELExpr
    let iterVar: String
    /// The value variable of two-variable comprehensions (iterVar is then the index or key).
    var iterVar2: String? = nil
    let accuVar: String
    let accuInit: CELExpr
    let loopCondition: CELExpr
    let loopStep: CELExpr
    let result: CELExpr
}

enum CELLiteral: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
}

/// Operator function names as cel-go spells them (common/operators).
enum CELOp {
    static let conditional = "_?_:_"
    static let logicalAnd = "_&&_"
    static let logicalOr = "_||_"
    static let logicalNot = "!_"
    static let negate = "-_"
    static let equals = "_==_"
    static let notEquals = "_!=_"
    static let less = "_<_"
    static let lessEquals = "_<=_"
    static let greater = "_>_"
    static let greaterEquals = "_>=_"
    static let add = "_+_"
    static let subtract = "_-_"
    static let multiply = "_*_"
    static let divide = "_/_"
    static let modulo = "_%_"
    static let index = "_[_]"
    static let `in` = "@in"
    static let notStrictlyFalse = "@not_strictly_false"
    /// The accumulator variable of macro comprehensions (cel-go parser.AccumulatorName).
    static let accumulator = "@result"
}
