"""Tests of the devserver wing."""
