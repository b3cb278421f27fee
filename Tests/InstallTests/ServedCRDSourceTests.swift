import Foundation
import Testing

/// `serin lint` checks manifests against Sources/SerinCLI/ServedCRDs+Generated.swift, a copy of
/// crds/ made by hack/gen-crd-sources: a CRD edited without regenerating would make lint judge
/// by a schema the server no longer serves.
@Suite struct ServedCRDSourceTests {
    static let generated = "Sources/SerinCLI/ServedCRDs+Generated.swift"

    @Test func theGeneratedSourceMatchesCRDs() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [Repository.path("hack/gen-crd-sources"), "--stdout"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "hack/gen-crd-sources --stdout failed")
        let expected = String(decoding: data, as: UTF8.self)
        let actual = try Repository.text(Self.generated)
        #expect(actual == expected, "\(Self.generated) differs from crds/: run hack/gen-crd-sources and commit the result")
    }

    @Test func everyCRDIsInTheGeneratedSource() throws {
        let actual = try Repository.text(Self.generated)
        for name in try Repository.files(in: "crds", suffix: ".yaml") where name != "kustomization.yaml" {
            let text = try Repository.text("crds/\(name)")
            #expect(actual.contains("(\"\(name)\", ##\"\"\"\n" + text), "crds/\(name) is not in \(Self.generated): run hack/gen-crd-sources")
        }
    }
}
