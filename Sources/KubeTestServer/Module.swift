// Placeholder until the KubeTestServer layer lands.
