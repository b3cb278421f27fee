// Placeholder until the KubeRuntime layer lands.
