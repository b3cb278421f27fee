// Placeholder until the test application lands.
