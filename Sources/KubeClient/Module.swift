// Placeholder until the KubeClient layer lands.
