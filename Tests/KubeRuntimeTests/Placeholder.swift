import Testing
@Test func placeholderKubeRuntimeTests() {}
