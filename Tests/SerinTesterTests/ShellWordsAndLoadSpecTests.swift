import SerinTester
import Testing

@Suite("serin tester: argv splitting and hey flags")
struct ShellWordsAndLoadSpecTests {
    @Test("words split on blanks; quotes and backslashes honoured; no shell expansion")
    func splitting() throws {
        #expect(try ShellWords.split("curl -sd 'test' http://x/api/health") == ["curl", "-sd", "test", "http://x/api/health"])
        #expect(try ShellWords.split(#"echo "a b" 'c d' e\ f"#) == ["echo", "a b", "c d", "e f"])
        #expect(try ShellWords.split(#"echo "say \"hi\" \$HOME" '$HOME' | wc"#) == ["echo", #"say "hi" $HOME"#, "$HOME", "|", "wc"])
        #expect(try ShellWords.split("  a\t\tb  ") == ["a", "b"])
        #expect(try ShellWords.split("x '' \"\"") == ["x", "", ""])
        let operation1 = { try ShellWords.split("echo 'open") }
        #expect(throws: ShellWords.SplitError.self, performing: operation1)
        let operation2 = { try ShellWords.split("echo \"open") }
        #expect(throws: ShellWords.SplitError.self, performing: operation2)
        let operation3 = { try ShellWords.split("echo \\") }
        #expect(throws: ShellWords.SplitError.self, performing: operation3)
    }

    @Test("hey -z 5m -q 10 -c 2 URL: five minutes at 20 requests/s over 2 workers, bounded by the timeout")
    func heyFlags() throws {
        let argv = ["hey", "-z", "5m", "-q", "10", "-c", "2", "http://user-service-canary/api/users"]
        let spec = try LoadSpec.hey(argv, maxDuration: 3600)
        #expect(spec.url == "http://user-service-canary/api/users")
        #expect(spec.duration == 300)
        #expect(spec.rate == 20)
        #expect(spec.concurrency == 2)
        #expect(try LoadSpec.hey(argv, maxDuration: 30).duration == 30)

        // -n without -z: the request count at the rate.
        let counted = try LoadSpec.hey(["hey", "-n", "100", "-q", "5", "-c", "4", "http://x/"], maxDuration: 3600)
        #expect(counted.duration == 5)
        #expect(counted.rate == 20)
        // No -q: hey sends as fast as it can; the built-in generator stops at its ceiling.
        let unbounded = try LoadSpec.hey(["hey", "-z", "1m", "-c", "500", "http://x/"], maxDuration: 3600)
        #expect(unbounded.rate == LoadSpec.maxRate)
        #expect(unbounded.concurrency == LoadSpec.maxConcurrency)
    }

    @Test("hey flags the built-in generator cannot honour are refused, with the flag named")
    func heyRefusals() {
        let operation5 = {
            try LoadSpec.hey(["hey", "-m", "POST", "http://x/"], maxDuration: 60)
        }
        #expect(throws: LoadSpec.ParseError(description: "hey -m POST: the built-in load generator sends GET only"), performing: operation5)
        let operation6 = {
            try LoadSpec.hey(["hey", "-H", "a: b", "http://x/"], maxDuration: 60)
        }
        #expect(throws: LoadSpec.ParseError(description: "hey -H is not supported by the built-in load generator"), performing: operation6)
        let operation7 = {
            try LoadSpec.hey(["hey", "-z", "1m"], maxDuration: 60)
        }
        #expect(throws: LoadSpec.ParseError(description: "hey needs an http(s) URL as its last argument"), performing: operation7)
        let operation8 = {
            try LoadSpec.hey(["hey", "-z", "soon", "http://x/"], maxDuration: 60)
        }
        #expect(throws: LoadSpec.ParseError(description: "hey -z soon is not a duration"), performing: operation8)
    }

    @Test("type load metadata: url, duration, rate, concurrency with defaults and ceilings")
    func loadMetadata() throws {
        let spec = try LoadSpec.metadata(["url": "http://x/", "duration": "2s", "rate": "5000", "concurrency": "3"],
                                         maxDuration: 60)
        #expect(spec.duration == 2)
        #expect(spec.rate == LoadSpec.maxRate)
        #expect(spec.concurrency == 3)
        let defaults = try LoadSpec.metadata(["url": "http://x/"], maxDuration: 30)
        #expect(defaults.duration == 30)
        #expect(defaults.rate == 10)
        #expect(defaults.concurrency == 2)
        let operation4 = { try LoadSpec.metadata(["duration": "1m"], maxDuration: 60) }
        #expect(throws: LoadSpec.ParseError.self, performing: operation4)
    }
}
