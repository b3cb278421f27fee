import Testing
@Test func placeholderKubeTestServerTests() {}
