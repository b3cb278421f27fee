import Foundation
import Synchronization

/// Where a command writes. The binary writes to stdout/stderr; tests bind a buffer with
/// `CLIOutput.$current.withValue(...)` and read what a user would have seen.
public final class CLIOutput: Sendable {
    @TaskLocal public static var current = CLIOutput.standard

    public static let standard = CLIOutput(buffered: false)

    private let buffered: Bool
    private let outText = Mutex("")
    private let errText = Mutex("")

    private init(buffered: Bool) { self.buffered = buffered }

    /// A sink that keeps everything in memory (for tests).
    public static func buffer() -> CLIOutput { CLIOutput(buffered: true) }

    /// Everything written to standard output so far (buffer sinks only).
    public var output: String { outText.withLock { $0 } }
    /// Everything written to standard error so far (buffer sinks only).
    public var errors: String { errText.withLock { $0 } }

    /// True when output goes to a terminal (screen redraws make sense).
    public var isTerminal: Bool { !buffered && isatty(STDOUT_FILENO) == 1 }

    public func write(_ text: String) {
        if buffered {
            outText.withLock { $0 += text }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    public func writeError(_ text: String) {
        if buffered {
            errText.withLock { $0 += text }
        } else {
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    public func line(_ text: String = "") { write(text + "\n") }
    public func errorLine(_ text: String) { writeError(text + "\n") }
}

/// A failure the user can act on; ArgumentParser prints it as `Error: <description>`.
public struct CLIError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
