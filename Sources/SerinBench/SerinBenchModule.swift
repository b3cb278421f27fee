/// Namespace for the SerinBench module; its commands and types live in the other files here.
public enum SerinBenchModule {}
