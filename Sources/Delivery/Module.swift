// Placeholder until the Delivery layer lands.
