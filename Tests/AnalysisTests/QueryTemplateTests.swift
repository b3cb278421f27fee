import Testing
@testable import Analysis

/// Flagger's query templates rendered as Go's text/template renders them (expected texts
/// from Flagger's render tests and docs), and the errors for what Serin refuses.
@Suite struct QueryTemplateTests {
    static let model = [
        "name": "podinfo", "namespace": "test", "target": "podinfo", "service": "podinfo-svc", "ingress": "podinfo-ing",
        "route": "podinfo-route", "interval": "1m", "variables.cluster": "dev", "variables.consumer_group": "my_consumer",
    ]

    func render(_ t: String) throws -> String { try QueryTemplate.render(t, values: Self.model) }

    @Test func flaggersRenderTests() throws {
        // fluxcd/flagger pkg/metrics/observers/render_test.go, both cases.
        #expect(try QueryTemplate.render(#"sum(envoy_cluster_upstream_rq{envoy_cluster_name=~"{{ namespace }}_{{ target }}"})"#,
                                         values: ["name": "standard", "namespace": "default", "target": "myapp", "interval": "1m"])
                == #"sum(envoy_cluster_upstream_rq{envoy_cluster_name=~"default_myapp"})"#)
        #expect(try render(#"delta(max by (consumer_group) (kafka_consumer_current_offset{cluster="{{ variables.cluster }}", consumer_group="{{ variables.consumer_group }}"}[{{ interval }}]))"#)
                == #"delta(max by (consumer_group) (kafka_consumer_current_offset{cluster="dev", consumer_group="my_consumer"}[1m]))"#)
    }

    @Test func everyModelName() throws {
        #expect(try render("{{name}}/{{ namespace }}/{{target}}/{{ service }}/{{ ingress }}/{{ route }}/{{ interval }}")
                == "podinfo/test/podinfo/podinfo-svc/podinfo-ing/podinfo-route/1m")
        #expect(try render("{{ .target }}") == "podinfo")  // Serin's older leading-dot spelling
    }

    @Test func functionsAndPipelines() throws {
        #expect(try render(#"{{ printf "%s-canary" target }}"#) == "podinfo-canary")
        #expect(try render(#"{{ target | printf "%s-primary" }}"#) == "podinfo-primary")
        #expect(try render(#"{{ printf "%s.%s.svc:%d" service namespace 9090 }}"#) == "podinfo-svc.test.svc:9090")
        #expect(try render(#"{{ printf "%q" target }}"#) == #""podinfo""#)
        #expect(try render(#"{{ printf "%d" target }}"#) == "%!d(string=podinfo)")
        #expect(try render(#"{{ printf "%.2f" 0.5 }}"#) == "0.50")
        #expect(try render(#"{{ printf "%s" }}"#) == "%!s(MISSING)")
        #expect(try render(#"{{ print target "-" namespace }}"#) == "podinfo-test")
        #expect(try render("{{ len target }}") == "7")
        #expect(try render(#"{{ eq namespace "test" }}/{{ ne target "x" }}/{{ lt 1 2 }}/{{ not (eq target "podinfo") }}"#)
                == "true/true/true/false")
        #expect(try render(#"{{ or "" target }}"#) == "podinfo")
        #expect(try render(#"{{ urlquery "a b&c" }}"#) == "a+b%26c")
        #expect(try render(#"{{ (printf "%s-%s" target namespace) | printf "[%s]" }}"#) == "[podinfo-test]")
        #expect(try render("a  {{- target -}}  b") == "apodinfob")
        #expect(try render("x{{/* a comment */}}y") == "xy")
        #expect(try render("{{ `raw \"text\"` }}") == #"raw "text""#)
    }

    @Test func refusals() {
        func message(_ t: String) -> String {
            do { return try render(t) } catch { return "\(error)" }
        }
        #expect(message("rate(x[{{ intervall }}])") == "unknown template variable \"intervall\" at position 8")
        #expect(message("{{ variables.missing }}") == "unknown template variable \"variables.missing\" at position 1")
        #expect(message("{{ if eq target \"a\" }}x{{ end }}").hasPrefix("{{ if }} is not supported in metric queries"))
        #expect(message("{{ target namespace }}") == "target is not a function and takes no arguments in the action at position 1")
        #expect(message(#"{{ printf "%s }}"#).hasPrefix("unterminated quoted string"))
        #expect(message("{{args.svc}}") == "missing argument \"svc\" for {{args.svc}} at position 1")
    }
}
