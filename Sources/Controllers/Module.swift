// Placeholder until the Controllers layer lands.
