"""Tests of what a user meets first: the scaffold, its generated project, the demo."""
