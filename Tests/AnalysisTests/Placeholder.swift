import Testing
@Test func placeholderAnalysisTests() {}
