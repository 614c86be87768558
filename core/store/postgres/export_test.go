package postgres

// SweepPairsEvery is sweepPairsEvery, for the tests of the sweep.
const SweepPairsEvery = sweepPairsEvery
