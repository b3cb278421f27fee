import SerinTester
import Testing

@Suite("serin tester: gates")
struct TesterGateTests {
    @Test("approve always passes, halt always refuses")
    func fixedGates() async {
        let tester = makeTester()
        #expect(await gate(tester, "/gate/approve").status == 200)
        #expect(await gate(tester, "/gate/halt").status == 403)
    }

    @Test("a canary's gate is closed until opened, per name and namespace; rollback gates apart")
    func gates() async {
        let tester = makeTester()
        #expect(await gate(tester, "/gate/check").status == 403)
        #expect(await gate(tester, "/gate/open").status == 202)
        let open = await gate(tester, "/gate/check")
        #expect(open.status == 200)
        #expect(open.text == "Approved")
        #expect(await gate(tester, "/gate/check", name: "podinfo", namespace: "prod").status == 403)
        #expect(await gate(tester, "/gate/check", name: "other").status == 403)
        #expect(await gate(tester, "/rollback/check").status == 403)

        #expect(await gate(tester, "/rollback/open").status == 202)
        #expect(await gate(tester, "/rollback/check").status == 200)
        #expect(await gate(tester, "/gate/close").status == 202)
        #expect(await gate(tester, "/gate/check").status == 403)
        #expect(await gate(tester, "/rollback/check").status == 200)
        #expect(await gate(tester, "/rollback/close").status == 202)
        #expect(await gate(tester, "/rollback/check").status == 403)
        let bad = await tester.handle(TesterRequest(method: "POST", path: "/gate/check", body: Array("{}".utf8)))
        #expect(bad.status == 400)
    }
}
