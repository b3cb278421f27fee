import Testing
@Test func placeholderControllersTests() {}
