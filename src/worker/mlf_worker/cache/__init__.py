"""Caches the worker keeps in mlf's cache directories (never inside a model directory)."""
