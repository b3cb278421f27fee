import Testing
@Test func placeholderSerinOperatorTests() {}
