enum ExprTokenKind: Equatable {
    case number(Double)
    case string(String)
    case identifier(String)
    /// `#` — the element in a predicate.
    case pointer
    case op(String)
    case end
}

struct ExprToken: Equatable {
    var kind: ExprTokenKind
    /// 1-based character column.
    var position: Int
}

/// Splits an expression into tokens; the first character it cannot read is a parse error.
enum ExprLexer {
    static let twoCharOps: Set<String> = ["&&", "||", "==", "!=", "<=", ">=", "**"]
    static let oneCharOps: Set<Character> = ["+", "-", "*", "/", "%", "^", "<", ">", "!", "(", ")", "[", "]", "{", "}",
                                             ",", "?", ":", "."]

    static func tokenize(_ text: String) throws(ExprParseError) -> [ExprToken] {
        let chars = Array(text)
        var tokens: [ExprToken] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            let pos = i + 1
            if c.isWhitespace { i += 1; continue }
            if c.isASCII && c.isNumber || (c == "." && i + 1 < chars.count && chars[i + 1].isASCII && chars[i + 1].isNumber) {
                var j = i
                while j < chars.count, chars[j].isASCII, chars[j].isNumber || chars[j] == "." || chars[j] == "_" { j += 1 }
                if j < chars.count, chars[j] == "e" || chars[j] == "E" {
                    var k = j + 1
                    if k < chars.count, chars[k] == "+" || chars[k] == "-" { k += 1 }
                    if k < chars.count, chars[k].isASCII, chars[k].isNumber {
                        while k < chars.count, chars[k].isASCII, chars[k].isNumber { k += 1 }
                        j = k
                    }
                }
                let literal = String(chars[i..<j]).replacingOccurrences(of: "_", with: "")
                guard let v = Double(literal) else {
                    throw ExprParseError(position: pos, message: "invalid number \"\(String(chars[i..<j]))\"")
                }
                tokens.append(ExprToken(kind: .number(v), position: pos))
                i = j
                continue
            }
            if c.isLetter || c == "_" || c == "$" {
                var j = i
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" || chars[j] == "$" { j += 1 }
                tokens.append(ExprToken(kind: .identifier(String(chars[i..<j])), position: pos))
                i = j
                continue
            }
            if c == "\"" || c == "'" || c == "`" {
                var j = i + 1
                var s = ""
                var closed = false
                while j < chars.count {
                    let d = chars[j]
                    if d == c { closed = true; j += 1; break }
                    if d == "\\", c != "`", j + 1 < chars.count {
                        let e = chars[j + 1]
                        switch e {
                        case "n": s.append("\n")
                        case "t": s.append("\t")
                        case "r": s.append("\r")
                        default: s.append(e)
                        }
                        j += 2
                        continue
                    }
                    s.append(d)
                    j += 1
                }
                guard closed else { throw ExprParseError(position: pos, message: "unterminated string") }
                tokens.append(ExprToken(kind: .string(s), position: pos))
                i = j
                continue
            }
            if c == "#" {
                tokens.append(ExprToken(kind: .pointer, position: pos))
                i += 1
                continue
            }
            if i + 1 < chars.count, twoCharOps.contains(String([c, chars[i + 1]])) {
                tokens.append(ExprToken(kind: .op(String([c, chars[i + 1]])), position: pos))
                i += 2
                continue
            }
            if oneCharOps.contains(c) {
                tokens.append(ExprToken(kind: .op(String(c)), position: pos))
                i += 1
                continue
            }
            throw ExprParseError(position: pos, message: "unexpected character \"\(c)\"")
        }
        tokens.append(ExprToken(kind: .end, position: chars.count + 1))
        return tokens
    }
}
