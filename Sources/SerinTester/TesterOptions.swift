import Logging

/// How `serin tester` runs.
public struct TesterOptions: Sendable {
    /// Address to listen on (`0.0.0.0` in a cluster, `127.0.0.1` in tests).
    public var host: String
    /// 0 lets the OS choose (tests).
    public var port: Int
    /// Seconds a command or load run may take when the webhook's `metadata.timeout` does not
    /// say; also the longest a load run may last.
    public var timeout: Double
    /// Bytes of a command's output kept (the rest is read and dropped).
    public var outputCap: Int
    /// Commands and load runs at once.
    public var maxTasks: Int
    public var logger: Logger

    public init(host: String = "127.0.0.1", port: Int = 0, timeout: Double = 3600, outputCap: Int = 64 << 10,
                maxTasks: Int = 32, logger: Logger = Logger(label: "serin.tester")) {
        self.host = host
        self.port = port
        self.timeout = timeout
        self.outputCap = outputCap
        self.maxTasks = maxTasks
        self.logger = logger
    }
}
