"""Tests of the http wing."""
