import Foundation
import KubeCore
import Synchronization

/// Runs the measurements the options ask for, bounded by the global deadline, and returns
/// the figures. A measurement that fails is reported (as a note) and the run goes on.
public final class BenchRunner: Sendable {
    let options: BenchOptions
    let deadline: BenchDeadline
    let crds: [JSONValue]
    let report = BenchReport()
    let progress: @Sendable (String) -> Void

    public init(options: BenchOptions, progress: @escaping @Sendable (String) -> Void) throws {
        self.options = options
        self.progress = progress
        deadline = BenchDeadline(seconds: options.deadlineSeconds)
        let checkout = try BenchManifests.checkout(crdDirectory: options.crdDirectory, executable: options.serinBinary)
        crds = try BenchManifests.crds(directory: checkout.crds, root: checkout.root)
        try FileManager.default.createDirectory(atPath: options.workDirectory, withIntermediateDirectories: true)
    }

    /// Figures measured, and notes on what could not be measured.
    public var figures: [BenchFigure] { report.figures }
    public var notes: [String] { report.notes }

    public func run() async {
        let n = options.canaries
        let mainScenarios: [BenchScenario] = [.idle, .coldstart, .analysis, .reaction]
        let footprintMain = options.wants(.footprint) ? options.footprintSizes.filter { $0 == 0 || $0 == n } : []
        if mainScenarios.contains(where: options.wants) || !footprintMain.isEmpty {
            await guarded("the run with \(n) canaries") { try await self.mainRun(canaries: n, footprintAt: Set(footprintMain)) }
        }
        if options.wants(.footprint) {
            for size in options.footprintSizes where size != 0 && size != n {
                await guarded("the footprint at \(size) canaries") { try await self.footprintRun(canaries: size) }
            }
        }
    }

    private func guarded(_ what: String, _ body: () async throws -> Void) async {
        do {
            try await body()
        } catch {
            report.note("\(what) stopped: \(error)")
            progress("\(what) stopped: \(error)")
        }
    }

    // MARK: - The main run: footprint at 0 and N, idle, cold start, analysis, reaction

    private func mainRun(canaries n: Int, footprintAt sizes: Set<Int>) async throws {
        progress("starting the test API server and the scripted Prometheus")
        let cluster = try await BenchCluster.start(options: options, crds: crds, label: "main")
        var op: BenchOperator?
        do {
            var current = try BenchOperator.start(options: options, cluster: cluster, logName: "operator-main")
            op = current
            progress("operator started (pid \(current.pid)); waiting for /readyz")
            guard try await current.waitReady(deadline: deadline, limit: .seconds(60)) != nil else {
                throw BenchFailure("the operator did not become ready within 60 s (log: \(current.process.logPath))")
            }
            if sizes.contains(0) {
                try await FootprintBench(runner: self, cluster: cluster).measure(current, canaries: 0, label: "")
            }
            if n > 0 {
                try await populate(cluster, current, canaries: n)
            }
            if sizes.contains(n), n > 0 {
                try await FootprintBench(runner: self, cluster: cluster).measure(current, canaries: n, label: "")
            }
            if options.wants(.idle), n > 0 {
                try await IdleBench(runner: self, cluster: cluster).measure(current, canaries: n)
            }
            if options.wants(.coldstart) {
                current.stop()
                op = nil
                current = try await ColdStartBench(runner: self, cluster: cluster).measure(canaries: n, target: true)
                op = current
                if sizes.contains(n), n > 0 {
                    try await FootprintBench(runner: self, cluster: cluster).measure(current, canaries: n, label: "_restarted")
                }
            }
            if options.wants(.analysis), n > 0 {
                try await AnalysisBench(runner: self, cluster: cluster).measure(current, canaries: n)
            }
            if options.wants(.reaction), n > 0 {
                try await ReactionBench(runner: self, cluster: cluster).measure(current, canaries: n)
            }
        } catch {
            op?.stop()
            await cluster.stop()
            throw error
        }
        op?.stop()
        await cluster.stop()
    }

    // MARK: - Footprint at a size of its own (10,000)

    private func footprintRun(canaries n: Int) async throws {
        try deadline.check("the footprint at \(n) canaries")
        progress("footprint at \(n) canaries: new test API server")
        let cluster = try await BenchCluster.start(options: options, crds: crds, label: "footprint-\(n)")
        var op: BenchOperator?
        do {
            var current = try BenchOperator.start(options: options, cluster: cluster, logName: "operator-\(n)")
            op = current
            guard try await current.waitReady(deadline: deadline, limit: .seconds(60)) != nil else {
                throw BenchFailure("the operator did not become ready within 60 s (log: \(current.process.logPath))")
            }
            try await populate(cluster, current, canaries: n)
            try await FootprintBench(runner: self, cluster: cluster).measure(current, canaries: n, label: "")
            current.stop()
            op = nil
            current = try await ColdStartBench(runner: self, cluster: cluster).measure(canaries: n, target: false)
            op = current
            try await FootprintBench(runner: self, cluster: cluster).measure(current, canaries: n, label: "_restarted")
        } catch {
            op?.stop()
            await cluster.stop()
            throw error
        }
        op?.stop()
        await cluster.stop()
    }

    // MARK: - Shared steps

    /// Creates `n` canaries with their Deployments and waits until the operator has
    /// initialized every one (phase Initialized).
    func populate(_ cluster: BenchCluster, _ op: BenchOperator, canaries n: Int) async throws {
        progress("creating \(n) Deployments and Canaries through the in-process API")
        let created = ContinuousClock.now
        try await cluster.createCanaries(0..<n, options: options)
        let createSeconds = (ContinuousClock.now - created).seconds
        progress("created in \(BenchFigure.format(createSeconds)) s; waiting for the operator to initialize them")
        let cpu0 = op.process.cpuSeconds ?? 0
        let start = ContinuousClock.now
        var lastReport = ContinuousClock.now
        let done = try await deadline.wait(limit: .seconds(max(180, Double(n) * 0.25)), every: .milliseconds(200)) {
            try op.checkRunning()
            if ContinuousClock.now - lastReport > .seconds(15) {
                lastReport = .now
                progress("  \(cluster.tracker.phaseSummary())")
            }
            return cluster.tracker.count { $0.phase == "Initialized" } >= n
        }
        let seconds = (ContinuousClock.now - start).seconds
        guard done else {
            throw BenchFailure("only \(cluster.tracker.count { $0.phase == "Initialized" }) of \(n) canaries initialized after \(BenchFigure.format(seconds)) s (\(cluster.tracker.phaseSummary()))")
        }
        let cpu = (op.process.cpuSeconds ?? 0) - cpu0
        progress("all \(n) initialized in \(BenchFigure.format(seconds)) s (operator CPU \(BenchFigure.format(cpu)) s)")
        report.add(BenchFigure("initialize_\(n)_canaries", seconds, "s",
                               note: "from creation to all Initialized; operator CPU \(BenchFigure.format(cpu)) s"))
    }
}

/// Figures and notes, collected as the run goes.
final class BenchReport: Sendable {
    private let state = Mutex<(figures: [BenchFigure], notes: [String])>(([], []))
    func add(_ f: BenchFigure) { state.withLock { $0.figures.append(f) } }
    func note(_ n: String) { state.withLock { $0.notes.append(n) } }
    var figures: [BenchFigure] { state.withLock { $0.figures } }
    var notes: [String] { state.withLock { $0.notes } }
}

/// The machine the figures come from.
public enum BenchMachine {
    public static var description: String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let ram = Double(ProcessInfo.processInfo.physicalMemory) / (1024 * 1024 * 1024)
        var cpu = ""
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
            let name = line.split(separator: ":", maxSplits: 1).last
        {
            cpu = name.trimmingCharacters(in: .whitespaces)
        }
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
            .joined(separator: " ") ?? "?"
        return "\(cores) cores\(cpu.isEmpty ? "" : " (\(cpu))"), \(String(format: "%.1f", ram)) GiB RAM, load average \(load)"
    }
}
