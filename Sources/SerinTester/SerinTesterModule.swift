/// Namespace for the SerinTester module; its commands and types live in the other files here.
public enum SerinTesterModule {}
