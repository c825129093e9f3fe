"""Datasets: the public-file registry, the simulator and loaders for the benchmark datasets."""
