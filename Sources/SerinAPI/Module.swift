// Placeholder until the SerinAPI layer lands.
