"""Readers for user inputs: expression matrices, gene tables, contact maps, STEP tables."""
