"""The runtimes: each loads one kind of model and answers predict requests for it (runtimes/base.py
is the interface the request loop speaks to, after Seldon MLServer's runtimes). registry.py picks
one for a model directory."""
