/// Traffic weight as a bar: `[█████░░░░░░░░░░░░░░░]` filled for the canary's share of 100%,
/// with `|` marking where the plan stops (maxWeight) when that is inside the bar.
enum ProgressBar {
    static func render(percent: Int, stop: Int? = nil, width: Int = 20) -> String {
        let p = min(100, max(0, percent))
        let filled = Int((Double(p) * Double(width) / 100).rounded())
        var cells = Array(repeating: "░", count: width)
        for i in 0..<filled { cells[i] = "█" }
        if let stop, stop > p, stop < 100 {
            let at = min(width - 1, Int((Double(stop) * Double(width) / 100).rounded()) - 1)
            if at >= filled { cells[at] = "|" }
        }
        return "[" + cells.joined() + "]"
    }
}
