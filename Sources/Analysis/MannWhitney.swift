import Foundation

/// The Mann–Whitney U test (Wilcoxon rank-sum) of two independent samples, computed the way
/// `scipy.stats.mannwhitneyu` does: the statistic is U of the first sample; the asymptotic
/// p-value uses the normal approximation with tie correction and continuity correction; the
/// exact p-value (no ties, small samples) counts the U distribution.
public enum MannWhitney {
    public enum Alternative: String, Sendable, Hashable {
        /// The first sample tends to be larger.
        case greater
        /// The first sample tends to be smaller.
        case less
        case twoSided = "two-sided"
    }

    public enum Method: String, Sendable, Hashable {
        case auto, asymptotic, exact
    }

    public struct Result: Sendable, Hashable {
        /// U of the first sample.
        public var u: Double
        public var pValue: Double
        /// z of the normal approximation (nil for the exact method).
        public var z: Double?
        /// Rank-biserial correlation, 2·U/(n1·n2) − 1, in −1...1: > 0 when the first sample tends larger.
        public var rankBiserial: Double
        public var n1: Int
        public var n2: Int
        public var method: Method
    }

    /// Average ranks (1-based) of the values, ties sharing their mean rank, and the sizes of tie groups.
    static func ranks(_ values: [Double]) -> (ranks: [Double], ties: [Int]) {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var ties: [Int] = []
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, values[order[j + 1]] == values[order[i]] { j += 1 }
            let mean = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = mean }
            ties.append(j - i + 1)
            i = j + 1
        }
        return (ranks, ties)
    }

    /// Runs the test; NaN values are dropped first. Needs at least one value in each sample.
    public static func test(_ x: [Double], _ y: [Double], alternative: Alternative = .twoSided,
                            method: Method = .auto, continuity: Bool = true) -> Result? {
        let a = x.filter { !$0.isNaN }, b = y.filter { !$0.isNaN }
        guard !a.isEmpty, !b.isEmpty else { return nil }
        let n1 = Double(a.count), n2 = Double(b.count), n = n1 + n2
        let (r, ties) = ranks(a + b)
        let r1 = r.prefix(a.count).reduce(0, +)
        let u1 = r1 - n1 * (n1 + 1) / 2
        let u2 = n1 * n2 - u1
        let hasTies = ties.contains { $0 > 1 }
        let chosen: Method
        switch method {
        case .auto: chosen = (!hasTies && (a.count <= 8 || b.count <= 8)) ? .exact : .asymptotic
        default: chosen = method
        }
        let rbc = 2 * u1 / (n1 * n2) - 1
        let (u, factor): (Double, Double)
        switch alternative {
        case .greater: (u, factor) = (u1, 1)
        case .less: (u, factor) = (u2, 1)
        case .twoSided: (u, factor) = (max(u1, u2), 2)
        }
        if chosen == .exact, a.count + b.count <= 400 {
            let p = min(1, factor * exactSurvival(u, n1: a.count, n2: b.count))
            return Result(u: u1, pValue: p, z: nil, rankBiserial: rbc, n1: a.count, n2: b.count, method: .exact)
        }
        let mu = n1 * n2 / 2
        let tieTerm = ties.reduce(0.0) { $0 + pow(Double($1), 3) - Double($1) }
        let sigma = (n1 * n2 / 12 * ((n + 1) - tieTerm / (n * (n - 1)))).squareRoot()
        var numerator = u - mu
        if continuity { numerator -= 0.5 }
        // Every value equal: no evidence either way.
        guard sigma > 0, sigma.isFinite else {
            return Result(u: u1, pValue: 1, z: nil, rankBiserial: rbc, n1: a.count, n2: b.count, method: .asymptotic)
        }
        let z = numerator / sigma
        let p = min(1, max(0, factor * normalSurvival(z)))
        return Result(u: u1, pValue: p, z: z, rankBiserial: rbc, n1: a.count, n2: b.count, method: .asymptotic)
    }

    /// P(Z ≥ z) for a standard normal Z.
    public static func normalSurvival(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    /// P(U ≥ u) under the null for sample sizes n1, n2 without ties, by counting arrangements.
    static func exactSurvival(_ u: Double, n1: Int, n2: Int) -> Double {
        let maxU = n1 * n2
        // counts[i][k]: arrangements of i values of the first sample among i + j values with U = k,
        // built up over j (the second sample's size) one value at a time.
        var prev = [[Double]](repeating: [1], count: n1 + 1)  // j = 0: U is 0 only.
        if n2 > 0 {
            for j in 1...n2 {
                var cur = [[Double]](repeating: [], count: n1 + 1)
                cur[0] = [1]
                if n1 > 0 {
                    for i in 1...n1 {
                        // f(i, j, k) = f(i-1, j, k-j) + f(i, j-1, k)
                        let size = i * j + 1
                        var row = [Double](repeating: 0, count: size)
                        for k in 0..<size {
                            let fromLess = k - j >= 0 && k - j < cur[i - 1].count ? cur[i - 1][k - j] : 0
                            let fromPrev = k < prev[i].count ? prev[i][k] : 0
                            row[k] = fromLess + fromPrev
                        }
                        cur[i] = row
                    }
                }
                prev = cur
            }
        }
        let dist = prev[n1]
        let total = dist.reduce(0, +)
        let start = max(0, Int(u.rounded(.up)))
        guard start <= maxU else { return 0 }
        let tail = dist[start...].reduce(0, +)
        return tail / total
    }
}

/// Kayenta's question: is the canary significantly worse than the baseline by more than an
/// allowed relative margin? The canary is tested one-sided against the baseline scaled by
/// (1 + allowedIncrease) (or 1 − allowedIncrease when lower is worse); it fails when the
/// p-value is below 1 − confidence.
public struct CompareJudge: Sendable, Hashable {
    public var confidence: Double
    public var allowedIncrease: Double
    public var lowerIsWorse: Bool
    /// Fewer samples than this on either side is "no data".
    public var minimumSamples: Int

    public init(confidence: Double = 0.95, allowedIncrease: Double = 0.1, lowerIsWorse: Bool = false,
                minimumSamples: Int = 3) {
        self.confidence = confidence
        self.allowedIncrease = allowedIncrease
        self.lowerIsWorse = lowerIsWorse
        self.minimumSamples = minimumSamples
    }

    public struct Outcome: Sendable, Hashable {
        public var worse: Bool
        public var pValue: Double
        /// Canary median / baseline median (Kayenta's effect size); +Inf when the baseline median is 0.
        public var effectSize: Double
        public var canaryMedian: Double
        public var baselineMedian: Double
        public var u: Double
        public var rankBiserial: Double
        public var canaryCount: Int
        public var baselineCount: Int
        public var message: String
    }

    public enum Verdict: Sendable, Hashable {
        case judged(Outcome)
        case noData(String)
    }

    public var thresholdDescription: String {
        let pct = PromFormat.number(allowedIncrease * 100)
        let conf = PromFormat.number(confidence * 100)
        return lowerIsWorse ? "canary ≥ primary × \(PromFormat.number(1 - allowedIncrease)) (−\(pct)%, \(conf)%)"
            : "canary ≤ primary × \(PromFormat.number(1 + allowedIncrease)) (+\(pct)%, \(conf)%)"
    }

    public func judge(canary: [Double], baseline: [Double]) -> Verdict {
        let c = canary.filter { $0.isFinite }, b = baseline.filter { $0.isFinite }
        guard c.count >= minimumSamples, b.count >= minimumSamples else {
            return .noData("\(c.count) canary and \(b.count) primary samples, need \(minimumSamples) each")
        }
        let margin = lowerIsWorse ? 1 - allowedIncrease : 1 + allowedIncrease
        let scaled = b.map { $0 * margin }
        let alt: MannWhitney.Alternative = lowerIsWorse ? .less : .greater
        guard let r = MannWhitney.test(c, scaled, alternative: alt) else {
            return .noData("no samples")
        }
        let cm = Self.median(c), bm = Self.median(b)
        let effect = bm == 0 ? (cm == 0 ? 1 : (cm > 0 ? .infinity : -.infinity)) : cm / bm
        let alpha = 1 - confidence
        let worse = r.pValue < alpha
        let cmp = worse ? "<" : "≥"
        let word = lowerIsWorse ? "lower" : "higher"
        let message = "canary median \(PromFormat.number(cm)) vs primary \(PromFormat.number(bm)) "
            + "(×\(PromFormat.number(effect))), p=\(Self.pString(r.pValue)) \(cmp) \(PromFormat.number(alpha)): "
            + (worse ? "canary significantly \(word) beyond the allowed \(PromFormat.number(allowedIncrease * 100))%"
                : "no significant degradation")
        return .judged(Outcome(worse: worse, pValue: r.pValue, effectSize: effect, canaryMedian: cm, baselineMedian: bm,
                               u: r.u, rankBiserial: r.rankBiserial, canaryCount: c.count, baselineCount: b.count,
                               message: message))
    }

    static func pString(_ p: Double) -> String { p < 0.0001 ? String(format: "%.1e", p) : String(format: "%.4f", p) }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
