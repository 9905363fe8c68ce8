"""Tests of the observe wing."""
