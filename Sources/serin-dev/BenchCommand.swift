import ArgumentParser
import Foundation
import SerinBench

/// `serin-dev bench`: starts the test API server, a scripted Prometheus and `serin operator` as a
/// child process, measures footprint, idle economy, cold start, analysis at scale and reaction,
/// and prints a table plus one JSON line per figure.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the operator against the local test API server (footprint, reaction, analysis at scale, idle, cold start, CPU)."
    )

    @Option(help: "Canaries for the idle, cold-start, analysis and reaction measurements.") var canaries = 1000
    @Option(help: "Comma-separated: footprint, idle, coldstart, analysis (includes cpu), reaction.") var only: String?
    @Flag(help: "Small counts and short windows (a smoke run of every measurement).") var quick = false
    @Option(help: "Canary counts for the footprint, comma-separated.") var footprintSizes: String?
    @Option(help: "Global deadline in seconds; the run stops and reports what it has.") var deadline: Double?
    @Option(help: "Seconds of the idle window.") var idleSeconds: Double?
    @Option(help: "Sequential samples of the reaction measurement.") var reactionSamples: Int?
    @Option(help: "Analysis interval of the benchmark Canaries, in seconds.") var interval = 10
    @Option(help: "Serin's crds/ directory (default: found from the working directory or the executable).") var crds: String?
    @Option(help: "Directory for operator logs and kubeconfigs.") var workDir: String?
    @Option(help: "The serin executable to run as the operator (default: the one beside serin-dev).") var serinBinary: String?
    @Option(help: "Operator --kube-api-qps.") var operatorQps = 1000.0
    @Option(help: "Operator --kube-api-burst.") var operatorBurst = 2000
    @Option(help: "Operator --workers.") var operatorWorkers = 4
    @Flag(help: "Serve the test API over plain HTTP instead of HTTPS.") var plainHttp = false

    func run() async throws {
        let work = workDir ?? FileManager.default.currentDirectoryPath + "/.serin-bench"
        var o = BenchOptions(serinBinary: serinBinary ?? SerinDevCommand.siblingSerin(), workDirectory: work)
        o.canaries = canaries
        if quick { o.applyQuick() }
        if let only {
            var set = Set<BenchScenario>()
            for name in only.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
                guard let s = BenchScenario(flag: name) else {
                    throw ValidationError("--only: unknown measurement \(name); use \(BenchScenario.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                set.insert(s)
            }
            o.scenarios = set
        }
        if let footprintSizes {
            let sizes = footprintSizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !sizes.isEmpty, sizes.allSatisfy({ $0 >= 0 }) else {
                throw ValidationError("--footprint-sizes: use counts like 0,1000,10000")
            }
            o.footprintSizes = sizes
        }
        if let deadline { o.deadlineSeconds = deadline }
        if let idleSeconds { o.idleSeconds = idleSeconds }
        if let reactionSamples { o.reactionSamples = reactionSamples }
        guard interval >= 10 else { throw ValidationError("--interval: Serin accepts 10 s or more") }
        o.intervalSeconds = interval
        o.crdDirectory = crds
        o.operatorQPS = operatorQps
        o.operatorBurst = operatorBurst
        o.operatorWorkers = operatorWorkers
        o.tls = !plainHttp

        let progress: @Sendable (String) -> Void = { line in
            FileHandle.standardError.write(Data("[bench] \(line)\n".utf8))
        }
        progress("machine: \(BenchMachine.description)")
        let runner = try BenchRunner(options: o, progress: progress)
        await runner.run()
        print("")
        print("machine: \(BenchMachine.description)")
        print(BenchFigure.table(runner.figures))
        for n in runner.notes { print("note: \(n)") }
        print("")
        for f in runner.figures { print(f.jsonLine) }
    }
}
