/// Namespace for the SerinCLI module; its commands and types live in the other files here.
public enum SerinCLIModule {}
