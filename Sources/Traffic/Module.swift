// Placeholder until the Traffic layer lands.
