import Synchronization

/// RE2 patterns run with Swift Regex (the syntax these CRDs use is common to both);
/// compiled patterns are kept, rules reuse a handful of them.
enum CELRegex {
    private final class Box: @unchecked Sendable {
        // Regex is immutable once built; reads from several threads are safe.
        let regex: Regex<AnyRegexOutput>
        init(_ r: Regex<AnyRegexOutput>) { regex = r }
    }

    private static let cache = Mutex<[String: Box]>([:])

    static func compiled(_ pattern: String) throws(CELEvalError) -> Regex<AnyRegexOutput> {
        if let hit = cache.withLock({ $0[pattern] }) { return hit.regex }
        let r: Regex<AnyRegexOutput>
        do { r = try Regex(pattern) } catch { throw CELEvalError("given regex is invalid: \(error)") }
        cache.withLock { $0[pattern] = Box(r) }
        return r
    }

    /// RE2 MatchString: true when the pattern matches anywhere in the string.
    static func matches(_ s: String, _ pattern: String) throws(CELEvalError) -> Bool {
        let r = try compiled(pattern)
        return s.unicodeScalars.isEmpty ? (try? r.wholeMatch(in: s)) != nil || s.contains(r) : s.contains(r)
    }

    static func find(_ s: String, _ pattern: String, limit: Int) throws(CELEvalError) -> [String] {
        let r = try compiled(pattern)
        var out: [String] = []
        for m in s.matches(of: r) {
            if limit >= 0, out.count >= limit { break }
            out.append(String(s[m.range]))
        }
        return out
    }
}
