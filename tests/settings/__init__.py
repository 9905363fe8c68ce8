"""Tests of the settings wing."""
