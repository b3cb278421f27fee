/// Splits a command line into argv the way a POSIX shell splits words, without any of the
/// shell's other powers: no variables, globs, pipes or redirections. Single quotes are
/// literal; double quotes allow `\"`, `\\`, `\$` and `` \` ``; a backslash outside quotes
/// escapes the next character.
public enum ShellWords {
    public struct SplitError: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    public static func split(_ line: String) throws(SplitError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var chars = Array(line)[...]
        while let c = chars.popFirst() {
            switch c {
            case " ", "\t", "\n", "\r":
                if inWord { words.append(current) }
                current = ""
                inWord = false
            case "'":
                inWord = true
                guard let end = chars.firstIndex(of: "'") else { throw SplitError(description: "unterminated single quote") }
                current += String(chars[chars.startIndex..<end])
                chars = chars[(end + 1)...]
            case "\"":
                inWord = true
                var closed = false
                while let d = chars.popFirst() {
                    if d == "\"" {
                        closed = true
                        break
                    }
                    if d == "\\", let next = chars.first, ["\"", "\\", "$", "`", "\n"].contains(next) {
                        chars = chars.dropFirst()
                        if next != "\n" { current.append(next) }
                    } else {
                        current.append(d)
                    }
                }
                if !closed { throw SplitError(description: "unterminated double quote") }
            case "\\":
                inWord = true
                guard let next = chars.popFirst() else { throw SplitError(description: "trailing backslash") }
                if next != "\n" { current.append(next) }
            default:
                inWord = true
                current.append(c)
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
