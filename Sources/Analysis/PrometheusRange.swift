import Foundation
import SerinAPI

/// Argo's `prometheus.rangeQuery`: `start` and `end` are expressions over `now()` (`now()`,
/// `now() - duration("5m")`, `now() + duration("1m")`) or RFC 3339 times, `step` a duration.
enum PrometheusRange {
    /// Problems of the settings, each `rangeQuery.<field>: why; fix` (placeholders not judged).
    static func problems(_ r: PrometheusRangeQuery) -> [String] {
        var out: [String] = []
        let now = Date()
        for (field, text) in [("start", r.start), ("end", r.end)] {
            guard let text, !text.contains("{{") else {
                if text == nil { out.append("rangeQuery.\(field): is required; write now() or now() - duration(\"5m\")") }
                continue
            }
            if (try? time(text, now: now, field: field)) == nil {
                out.append("rangeQuery.\(field): \"\(text)\" is not now(), now() - duration(\"5m\") or an RFC 3339 time")
            }
        }
        if let step = r.step, !step.contains("{{"), (try? DurationString.seconds(step)).map({ $0 > 0 }) != true {
            out.append("rangeQuery.step: \"\(step)\" is not a positive duration such as 1m")
        }
        if r.step == nil { out.append("rangeQuery.step: is required; write the resolution, e.g. 1m") }
        return out
    }

    /// start, end and step in seconds, the range checked (start before end).
    static func window(_ r: PrometheusRangeQuery, now: Date) throws -> (Date, Date, Double) {
        let start = try time(r.start ?? "", now: now, field: "start")
        let end = try time(r.end ?? "", now: now, field: "end")
        guard let stepText = r.step, let step = try? DurationString.seconds(stepText), step > 0 else {
            throw MetricSpecError("rangeQuery.step: \"\(r.step ?? "")\" is not a positive duration such as 1m")
        }
        guard start < end else { throw MetricSpecError("rangeQuery: start is not before end") }
        return (start, end, step)
    }

    static func time(_ text: String, now: Date, field: String) throws -> Date {
        let t = text.trimmingCharacters(in: .whitespaces)
        let unquoted = t.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        if let d = KubeTimeParse.date(unquoted) { return d }
        guard t.hasPrefix("now()") else {
            throw MetricSpecError("rangeQuery.\(field): \"\(text)\" is not now(), now() - duration(\"5m\") or an RFC 3339 time")
        }
        var rest = t.dropFirst(5).trimmingCharacters(in: .whitespaces)
        if rest.isEmpty { return now }
        let sign: Double = rest.hasPrefix("-") ? -1 : rest.hasPrefix("+") ? 1 : 0
        rest = rest.dropFirst().trimmingCharacters(in: .whitespaces)
        guard sign != 0, rest.hasPrefix("duration("), rest.hasSuffix(")") else {
            throw MetricSpecError("rangeQuery.\(field): \"\(text)\" is not now(), now() - duration(\"5m\") or an RFC 3339 time")
        }
        let arg = rest.dropFirst("duration(".count).dropLast().trimmingCharacters(in: .whitespaces)
            .trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        guard let seconds = try? DurationString.seconds(arg) else {
            throw MetricSpecError("rangeQuery.\(field): duration(\"\(arg)\") is not a duration such as 5m")
        }
        return now.addingTimeInterval(sign * seconds)
    }

    /// Every point of every series, in order: Argo's `result` of a range query.
    static func values(_ result: PromResult) -> [Double] {
        switch result {
        case .matrix(let series): return series.flatMap { $0.points.map(\.value) }
        case .vector(let v): return v.map(\.value)
        case .scalar(_, let v): return [v]
        case .string: return []
        }
    }
}

/// RFC 3339 times, with or without fractional seconds.
enum KubeTimeParse {
    static func date(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: s)
    }
}
