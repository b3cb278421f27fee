import Testing
@Test func placeholderKubeClientTests() {}
