/// Tokens of the CEL grammar (cel-spec langdef.md), with string and bytes escapes decoded.
enum CELToken: Equatable {
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case ident(String)
    case punct(String)
    case eof
}

struct CELSyntaxError: Error {
    let offset: Int
    let message: String
}

struct CELLexer {
    let chars: [Character]
    var pos = 0

    init(_ source: String) { chars = Array(source) }

    private func peek(_ k: Int = 0) -> Character? { pos + k < chars.count ? chars[pos + k] : nil }

    /// Reads all tokens with their start offsets.
    mutating func tokenize() throws(CELSyntaxError) -> [(CELToken, Int)] {
        var out: [(CELToken, Int)] = []
        while true {
            skipSpaceAndComments()
            let start = pos
            guard let c = peek() else { out.append((.eof, pos)); return out }
            if c.isNumber || (c == "." && (peek(1)?.isNumber ?? false)) {
                out.append((try number(), start))
            } else if c == "\"" || c == "'" {
                out.append((try quoted(raw: false, bytes: false), start))
            } else if c.isLetter || c == "_" {
                // String prefixes r, b, rb, br (any case) directly followed by a quote.
                if let t = try prefixedString() { out.append((t, start)); continue }
                var s = ""
                while let d = peek(), d.isLetter || d.isNumber || d == "_" { s.append(d); pos += 1 }
                out.append((.ident(s), start))
            } else {
                let two = String(chars[pos..<min(pos + 2, chars.count)])
                if ["==", "!=", "<=", ">=", "&&", "||"].contains(two) {
                    pos += 2
                    out.append((.punct(two), start))
                } else if "+-*/%!<>?:.,()[]{}".contains(c) {
                    pos += 1
                    out.append((.punct(String(c)), start))
                } else {
                    throw CELSyntaxError(offset: pos, message: "Syntax error: token recognition error at: '\(c)'")
                }
            }
        }
    }

    private mutating func skipSpaceAndComments() {
        while let c = peek() {
            if c.isWhitespace { pos += 1; continue }
            if c == "/", peek(1) == "/" {
                while let d = peek(), d != "\n" { pos += 1 }
                continue
            }
            return
        }
    }

    private mutating func prefixedString() throws(CELSyntaxError) -> CELToken? {
        var raw = false, bytes = false, k = 0
        while k < 2, let c = peek(k) {
            if c == "r" || c == "R", !raw { raw = true } else if c == "b" || c == "B", !bytes { bytes = true } else { break }
            k += 1
        }
        guard k > 0, let q = peek(k), q == "\"" || q == "'" else { return nil }
        pos += k
        return try quoted(raw: raw, bytes: bytes)
    }

    private mutating func number() throws(CELSyntaxError) -> CELToken {
        let start = pos
        if peek() == "0", peek(1) == "x" || peek(1) == "X" {
            pos += 2
            var s = ""
            while let d = peek(), d.isHexDigit { s.append(d); pos += 1 }
            if peek() == "u" || peek() == "U" {
                pos += 1
                guard let v = UInt64(s, radix: 16) else { throw CELSyntaxError(offset: start, message: "invalid uint literal") }
                return .uint(v)
            }
            guard let v = Int64(s, radix: 16) else { throw CELSyntaxError(offset: start, message: "invalid int literal") }
            return .int(v)
        }
        var s = ""
        var isDouble = false
        while let d = peek(), d.isNumber { s.append(d); pos += 1 }
        if peek() == ".", peek(1)?.isNumber ?? false {
            isDouble = true
            s.append("."); pos += 1
            while let d = peek(), d.isNumber { s.append(d); pos += 1 }
        }
        if peek() == "e" || peek() == "E" {
            var k = 1
            if peek(1) == "+" || peek(1) == "-" { k = 2 }
            if peek(k)?.isNumber ?? false {
                isDouble = true
                for _ in 0..<k { s.append(peek()!); pos += 1 }
                while let d = peek(), d.isNumber { s.append(d); pos += 1 }
            }
        }
        if isDouble {
            guard let v = Double(s) else { throw CELSyntaxError(offset: start, message: "invalid double literal") }
            return .double(v)
        }
        if peek() == "u" || peek() == "U" {
            pos += 1
            guard let v = UInt64(s) else { throw CELSyntaxError(offset: start, message: "invalid uint literal") }
            return .uint(v)
        }
        // The magnitude may be 2^63 when a unary minus follows; the parser folds it.
        guard let v = UInt64(s), v <= UInt64(Int64.max) + 1 else { throw CELSyntaxError(offset: start, message: "invalid int literal") }
        return v == UInt64(Int64.max) + 1 ? .uint(v) : .int(Int64(v))
    }

    private mutating func quoted(raw: Bool, bytes: Bool) throws(CELSyntaxError) -> CELToken {
        let start = pos
        let q = chars[pos]
        let triple = peek(1) == q && peek(2) == q
        pos += triple ? 3 : 1
        var scalars: [UInt32] = []  // code points, or byte values for \x and octal escapes in bytes
        var isByte: [Bool] = []
        func closes() -> Bool {
            if triple { return peek() == q && peek(1) == q && peek(2) == q }
            return peek() == q
        }
        while true {
            guard let c = peek() else { throw CELSyntaxError(offset: start, message: "Syntax error: token recognition error at: '\(String(chars[start..<pos]))'") }
            if closes() { pos += triple ? 3 : 1; break }
            if !triple, c == "\n" || c == "\r" { throw CELSyntaxError(offset: start, message: "Syntax error: token recognition error at: '\(String(chars[start..<pos]))'") }
            if c == "\\", !raw {
                pos += 1
                guard let e = peek() else { throw CELSyntaxError(offset: pos, message: "invalid escape") }
                pos += 1
                switch e {
                case "a": scalars.append(7); isByte.append(false)
                case "b": scalars.append(8); isByte.append(false)
                case "f": scalars.append(12); isByte.append(false)
                case "n": scalars.append(10); isByte.append(false)
                case "r": scalars.append(13); isByte.append(false)
                case "t": scalars.append(9); isByte.append(false)
                case "v": scalars.append(11); isByte.append(false)
                case "\\", "'", "\"", "`", "?": scalars.append(e.unicodeScalars.first!.value); isByte.append(false)
                case "x", "X", "u", "U":
                    let n = e == "u" ? 4 : e == "U" ? 8 : 2
                    var h = ""
                    for _ in 0..<n { guard let d = peek(), d.isHexDigit else { throw CELSyntaxError(offset: pos, message: "invalid escape") }; h.append(d); pos += 1 }
                    scalars.append(UInt32(h, radix: 16)!); isByte.append(n == 2)
                case "0"..."7":
                    var o = String(e)
                    for _ in 0..<2 { guard let d = peek(), ("0"..."7").contains(d) else { throw CELSyntaxError(offset: pos, message: "invalid escape") }; o.append(d); pos += 1 }
                    scalars.append(UInt32(o, radix: 8)!); isByte.append(true)
                default: throw CELSyntaxError(offset: pos - 2, message: "Syntax error: token recognition error at: '\\\(e)'")
                }
                continue
            }
            for u in c.unicodeScalars { scalars.append(u.value); isByte.append(false) }
            pos += 1
        }
        if bytes {
            var out: [UInt8] = []
            for (v, b) in zip(scalars, isByte) {
                if b { out.append(UInt8(truncatingIfNeeded: v)) } else { out += Array(String(Unicode.Scalar(v).map(Character.init) ?? "\u{FFFD}").utf8) }
            }
            return .bytes(out)
        }
        var s = String.UnicodeScalarView()
        for v in scalars { s.append(Unicode.Scalar(v) ?? "\u{FFFD}") }
        return .string(String(s))
    }
}
