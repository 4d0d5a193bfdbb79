"""The engine: the op table, the SSA program it runs, one set of drivers (forward, reverse,
tangent) for scalars, many points and tensors, and the Trace they produce. It knows no
text and no terminal."""
