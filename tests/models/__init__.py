"""Tests of the models wing."""
