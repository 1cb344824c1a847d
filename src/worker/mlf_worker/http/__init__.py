"""The HTTP protocols of `mlf models serve`, one module each, answering the worker's `invoke` requests."""
