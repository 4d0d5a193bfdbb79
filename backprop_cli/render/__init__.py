"""Renderers: one module per output format, each reading a Trace. Only terminal.py
imports Rich, and only when the terminal format is asked for."""
