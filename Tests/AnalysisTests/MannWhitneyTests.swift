import Testing
@testable import Analysis

/// Reference values from SciPy 1.17.1:
/// python3 -c "from scipy.stats import mannwhitneyu; x=[1.2,3.4,2.2,5.1,4.4,3.3,2.9,6.0,5.5,4.1];
///   y=[0.9,1.1,2.0,1.5,2.5,1.8,3.0,2.2,1.3,1.7,2.8];
///   [print(a, mannwhitneyu(x,y,alternative=a,method='asymptotic')) for a in ['greater','less','two-sided']]"
/// and likewise for the tie-heavy and exact samples below.
@Suite struct MannWhitneyTests {
    let x = [1.2, 3.4, 2.2, 5.1, 4.4, 3.3, 2.9, 6.0, 5.5, 4.1]
    let y = [0.9, 1.1, 2.0, 1.5, 2.5, 1.8, 3.0, 2.2, 1.3, 1.7, 2.8]

    @Test(arguments: [
        (MannWhitney.Alternative.greater, 0.0019380625971554422),
        (.less, 0.9984543571191778),
        (.twoSided, 0.0038761251943108845),
    ])
    func asymptoticMatchesScipy(alternative: MannWhitney.Alternative, p: Double) throws {
        let r = try #require(MannWhitney.test(x, y, alternative: alternative, method: .asymptotic))
        #expect(r.u == 96.5)
        #expect(abs(r.pValue - p) < 1e-12)
    }

    @Test(arguments: [
        (MannWhitney.Alternative.greater, 0.9722869572352809),
        (.less, 0.03458642030768318),
        (.twoSided, 0.06917284061536635),
    ])
    func tieCorrectionMatchesScipy(alternative: MannWhitney.Alternative, p: Double) throws {
        let a: [Double] = [1, 2, 2, 3, 3, 3, 4, 5], b: [Double] = [2, 3, 3, 4, 4, 5, 5, 6, 6]
        let r = try #require(MannWhitney.test(a, b, alternative: alternative))
        #expect(r.method == .asymptotic)
        #expect(r.u == 17)
        #expect(abs(r.pValue - p) < 1e-12)
    }

    @Test func exactMatchesScipy() throws {
        let c = [3.1, 4.5, 2.2, 6.7, 5.0], d = [1.0, 2.5, 0.7, 1.9, 3.3, 2.8]
        let g = try #require(MannWhitney.test(c, d, alternative: .greater))
        #expect(g.method == .exact)
        #expect(g.u == 26)
        #expect(abs(g.pValue - 0.025974025974025976) < 1e-12)
        let t = try #require(MannWhitney.test(c, d, alternative: .twoSided, method: .exact))
        #expect(abs(t.pValue - 0.05194805194805195) < 1e-12)
    }

    @Test func identicalSamplesGiveNoEvidence() throws {
        let r = try #require(MannWhitney.test([0, 0, 0, 0], [0, 0, 0], alternative: .greater))
        #expect(r.pValue == 1)
        #expect(MannWhitney.test([], [1]) == nil)
    }

    @Test func judgeFailsOnlyBeyondAllowedIncrease() {
        let baseline = (0..<30).map { 100 + Double($0 % 7) }
        let judge = CompareJudge(confidence: 0.95, allowedIncrease: 0.1)
        // 5% slower: inside the allowed 10%.
        guard case .judged(let ok) = judge.judge(canary: baseline.map { $0 * 1.05 }, baseline: baseline) else {
            Issue.record("expected a verdict"); return
        }
        #expect(!ok.worse)
        // 50% slower: significantly worse.
        guard case .judged(let bad) = judge.judge(canary: baseline.map { $0 * 1.5 }, baseline: baseline) else {
            Issue.record("expected a verdict"); return
        }
        #expect(bad.worse)
        #expect(bad.pValue < 0.05)
        #expect(abs(bad.effectSize - 1.5) < 0.01)
        #expect(bad.message.contains("significantly higher"))
        // Success rate: lower is worse.
        let sr = CompareJudge(confidence: 0.95, allowedIncrease: 0.01, lowerIsWorse: true)
        guard case .judged(let drop) = sr.judge(canary: Array(repeating: 90, count: 10), baseline: Array(repeating: 100, count: 10)) else {
            Issue.record("expected a verdict"); return
        }
        #expect(drop.worse)
        #expect(sr.judge(canary: [1, 2], baseline: [1, 2, 3]) == .noData("2 canary and 3 primary samples, need 3 each"))
    }
}
